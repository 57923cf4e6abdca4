"""Secrets: generated with ``secrets``, stored as SHA-256, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 24) -> str:
    """A fresh high-entropy secret as hex."""
    return secrets.token_hex(nbytes)


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(stored_digest: str, presented: str) -> bool:
    """Constant-time check of a presented secret against a stored digest."""
    return hmac.compare_digest(stored_digest, digest(presented))

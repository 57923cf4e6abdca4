"""Settings from the environment (12-factor), overridable by a test mapping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def sqlalchemy_url(url: str) -> str:
    """Accept the URLs people write in compose files and pick psycopg 3 for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def shipped_tenants() -> Path:
    """``tenants/`` of the checkout, or the copy an installed package ships (emulator/_data/tenants)."""
    package = Path(__file__).parent
    shipped = package / "_data" / "tenants"
    return shipped if shipped.is_dir() else package.parent / "tenants"


def settings(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The configuration mapping for one app."""
    overrides = dict(overrides or {})
    env = os.environ
    default_db = f"sqlite:///{Path(instance_path) / 'emulator.db'}"
    database_url = overrides.pop("DATABASE_URL", None) or env.get("DATABASE_URL") or default_db
    config: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
        "EMULATOR_BASE_DOMAIN": env.get("EMULATOR_BASE_DOMAIN", "localhost"),
        "EMULATOR_ADMIN_TOKEN": env.get("EMULATOR_ADMIN_TOKEN") or None,
        "EMULATOR_TENANTS_DIR": env.get("EMULATOR_TENANTS_DIR", str(shipped_tenants())),
        "MAX_CONTENT_LENGTH": int(env.get("EMULATOR_MAX_BODY_BYTES", 1024 * 1024)),
        "EMULATOR_MAX_STRING_LENGTH": int(env.get("EMULATOR_MAX_STRING_LENGTH", 4096)),
        "EMULATOR_MAX_PAGE_SIZE": int(env.get("EMULATOR_MAX_PAGE_SIZE", 1000)),
        "EMULATOR_JOURNAL": env.get("EMULATOR_JOURNAL", "on").lower() not in ("0", "off", "false", "no"),
        "EMULATOR_JOURNAL_MAX": int(env.get("EMULATOR_JOURNAL_MAX", 1000)),
        # entries a worker spools before it writes every worker's spool in one transaction (SQLite
        # files only; 1: each as its request ends)
        "EMULATOR_JOURNAL_BATCH": int(env.get("EMULATOR_JOURNAL_BATCH", 128)),
        "EMULATOR_BODY_LOG_BYTES": int(env.get("EMULATOR_BODY_LOG_BYTES", 65536)),
        # where the CLI says tenants are (it has no request to take the host from)
        "EMULATOR_PUBLIC_URL": env.get("EMULATOR_PUBLIC_URL", "http://localhost:8000/"),
        "SECRET_KEY": env.get("EMULATOR_SECRET_KEY") or os.urandom(32).hex(),
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides)
    if "SQLALCHEMY_DATABASE_URI" not in overrides:
        config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(config["DATABASE_URL"])
    if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides and config["SQLALCHEMY_DATABASE_URI"].startswith(
        "postgresql"
    ):
        # a restarted database (a compose service, a failover) drops pooled connections
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    return config

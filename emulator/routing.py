"""Which tenant a request addresses: from the Host subdomain or the ``/t/<vendor>/<name>`` alias.

Resolved once, before Flask routes anything (the precedent is moto's host dispatcher): the
alias prefix moves from PATH_INFO to SCRIPT_NAME so every URL the app builds keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.routing import IntegerConverter, Map

ALIAS = re.compile(r"^/t/([a-z0-9][a-z0-9_-]*)/([a-z0-9][a-z0-9-]*)(/.*)?$")
TENANT_KEY = "emulator.tenant"
# the INTEGER primary keys: PostgreSQL's int4 refuses a larger number (SQLite's driver past 2**63)
LARGEST_ROW_ID = 2**31 - 1


class RowId(IntegerConverter):
    """``<int:...>`` that matches only ids a database can hold: a larger number is a 404, not a 500."""

    def __init__(
        self, url_map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None
    ) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits, min, LARGEST_ROW_ID if max is None else max)


def tenant_from_host(host: str, base_domain: str) -> tuple[str, str] | None:
    """``acme.generic.localhost:8000`` -> ("generic", "acme") for base domain ``localhost``."""
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.lower().rstrip(".")
    suffix = "." + base_domain.lower()
    if not hostname.endswith(suffix):
        return None
    labels = hostname[: -len(suffix)].split(".")
    if len(labels) != 2 or not all(labels):
        return None
    name, vendor = labels
    return vendor, name


class TenantDispatcher:
    """WSGI middleware that tags the environ with the addressed (vendor, name)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], base_domain: Callable[[], str]) -> None:
        self.app = app
        self.base_domain = base_domain

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        match = ALIAS.match(path)
        if match:
            vendor, name, rest = match.groups()
            environ[TENANT_KEY] = (vendor, name)
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"/t/{vendor}/{name}"
            environ["PATH_INFO"] = rest or "/"
        else:
            tenant = tenant_from_host(environ.get("HTTP_HOST", ""), self.base_domain())
            if tenant is not None:
                environ[TENANT_KEY] = tenant
        return self.app(environ, start_response)

"""The peer: scim2-server (PyPI, python-scim) as a WSGI app, one in-memory storage per tenant.

scim2-server keeps its resources in process memory, so it runs with ONE gunicorn worker
(two would be two unrelated servers). Tenants are served as scim2-server's own
``TenantDispatcher`` serves them: ``/<tenant>/v2/Users``. Its ``scim2-server`` command
runs wsgiref's threaded server; gunicorn is used here so that the transport is the one the
emulator and the floor use.

Seeding 100,000 users through its HTTP API would take minutes (one validated POST each),
so ``POST /_bench/seed`` seeds in process instead: users are built as scim2-models ``User``
objects (core + enterprise schema, like the emulator's generated users) named as the
emulator's seeding names them and handed to the storage's own
``resources`` setter, which indexes their unique values as a create would.

Run: ``gunicorn --workers 1 bench.peer_app:app``.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from scim2_models import EnterpriseUser, Meta, ScimProvider, User
from scim2_server.applications.wsgi import TenantDispatcher
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BearerTokenApplication
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

TOKEN = "peer-token"
PROVIDER = ScimProvider.from_discovery(
    load_default_schemas().values(),
    load_default_resource_types().values(),
    config=load_default_service_provider_config(),
)
SERVICE = ScimService(PROVIDER, secret="bench-secret")
STORAGES: dict[str, InMemoryStorage] = {}


def application_of(tenant: str) -> BearerTokenApplication:
    """Every tenant name is served, each with its own storage (as ``--dynamic-tenants``)."""
    storage = STORAGES.setdefault(tenant, InMemoryStorage())
    return BearerTokenApplication(storage, PROVIDER, service=SERVICE, bearer_tokens=[TOKEN])


def seed(tenant: str, count: int, prefix: str) -> int:
    """Add ``count`` generated users to a tenant's storage, in process."""
    storage = STORAGES.setdefault(tenant, InMemoryStorage())
    now = datetime.datetime.now(datetime.UTC)
    users = []
    for i in range(1, count + 1):
        name = f"{prefix}{i:06d}@example.com"
        user = User[EnterpriseUser](
            user_name=name,
            display_name=f"User {i}",
            active=True,
            name={"given_name": "Ada", "family_name": "Lovelace"},
            emails=[{"type": "work", "value": name, "primary": True}],
        )
        user[EnterpriseUser] = EnterpriseUser(department="Engineering", employee_number=str(100000 + i))
        user.id = uuid.uuid4().hex
        user.meta = Meta(resource_type="User", created=now, last_modified=now, version=storage.next_version())
        users.append(user)
    storage.resources = storage.resources + users
    return count


class Peer:
    """scim2-server's tenant dispatcher, plus the benchmark's in-process seeding endpoint."""

    def __init__(self) -> None:
        self.dispatcher = TenantDispatcher(application_of)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/_bench/seed" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            spec = json.loads(environ["wsgi.input"].read(length))
            seeded = seed(spec["tenant"], int(spec.get("users", 0)), spec.get("prefix", "user"))
            start_response("201 Created", [("Content-Type", "application/json")])
            return [json.dumps({"users": seeded}).encode()]
        return self.dispatcher(environ, start_response)


app = Peer()

"""The control plane as the CLI drives it: in-process on the local database, or over HTTP.

``ControlClient`` is the one seam. ``LocalEmulator`` calls the services as the control plane's
views do; ``RemoteEmulator`` sends the same operation to a running emulator's ``/_emulator``
routes. Both answer with the JSON the control plane's response schemas dump, so what the CLI
prints (tables and ``--json``) does not depend on where the emulator runs; both fail with a
``ScimError`` carrying the control plane's detail.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from marshmallow import Schema

from . import control_http, credentials, fixtures, journal, tenants
from .control.schemas import (
    CredentialListingSchema,
    CredentialStateSchema,
    FaultListSchema,
    FaultSchema,
    FaultsClearedSchema,
    FixtureListSchema,
    IssuedCredentialSchema,
    JournalPageSchema,
    ScenarioListSchema,
    ScenarioRunSchema,
    SeedResultSchema,
    TenantCreatedSchema,
    TenantListSchema,
    TenantSchema,
    VendorListSchema,
    VendorSchema,
)
from .errors import ScimError
from .extensions import db
from .faults import rules, scenarios
from .vendors import VENDORS

Body = dict[str, Any]
Progress = Callable[[int, int], None]
TIMEOUT = 600.0  # seconds for one call: a large seed is one request


class ControlClient(Protocol):
    """The control plane's operations, each answering its response schema's JSON."""

    def vendors(self) -> Body: ...
    def vendor(self, vendor: str) -> Body: ...
    def fixtures(self) -> Body: ...
    def list_tenants(self) -> Body: ...
    def create_tenant(self, request: Body) -> Body: ...
    def show_tenant(self, vendor: str, name: str) -> Body: ...
    def delete_tenant(self, vendor: str, name: str) -> None: ...
    def reset_tenant(self, vendor: str, name: str) -> Body: ...
    def seed_tenant(self, vendor: str, name: str, request: Body, progress: Progress) -> Body: ...
    def list_credentials(self, vendor: str, name: str) -> Body: ...
    def issue_credential(self, vendor: str, name: str, request: Body) -> Body: ...
    def expire_credential(self, vendor: str, name: str, credential_id: int) -> Body: ...
    def revoke_credential(self, vendor: str, name: str, credential_id: int) -> Body: ...
    def read_journal(self, vendor: str, name: str, filters: Body) -> Body: ...
    def clear_journal(self, vendor: str, name: str) -> None: ...
    def list_faults(self, tenant: str | None) -> Body: ...
    def add_fault(self, rule: Body) -> Body: ...
    def show_fault(self, rule_id: int) -> Body: ...
    def delete_fault(self, rule_id: int) -> None: ...
    def clear_faults(self, tenant: str | None) -> Body: ...
    def list_scenarios(self) -> Body: ...
    def start_scenario(self, name: str, scope: Body) -> Body: ...
    def scenario_run(self, run_id: int) -> Body: ...
    def stop_scenario(self, run_id: int) -> Body: ...


def dumped(schema: Schema, data: Any) -> Body:
    """``data`` dumped through its control-plane schema, as the control plane answers it."""
    body: Body = schema.dump(data)
    return body


class LocalEmulator:
    """The services in-process, on the app's database; URLs shown under ``base_url``."""

    def __init__(self, base_url: Callable[[], str]) -> None:
        self.base_url = base_url

    def vendors(self) -> Body:
        return dumped(VendorListSchema(), {"vendors": [p.to_json() for p in VENDORS.values()]})

    def vendor(self, vendor: str) -> Body:
        return dumped(VendorSchema(), tenants.profile_or_error(vendor).to_json())

    def fixtures(self) -> Body:
        return dumped(FixtureListSchema(), {"fixtures": fixtures.available()})

    def list_tenants(self) -> Body:
        found = [tenants.describe(t, self.base_url()) for t in tenants.list_all()]
        return dumped(TenantListSchema(), {"tenants": found})

    def create_tenant(self, request: Body) -> Body:
        tenant, shown = tenants.create(request)
        body = tenants.describe(tenant, self.base_url())
        body["credentials"] = shown
        return dumped(TenantCreatedSchema(), body)

    def show_tenant(self, vendor: str, name: str) -> Body:
        return dumped(TenantSchema(), tenants.describe(tenants.get(vendor, name), self.base_url()))

    def delete_tenant(self, vendor: str, name: str) -> None:
        tenants.delete_tenant(tenants.get(vendor, name))

    def reset_tenant(self, vendor: str, name: str) -> Body:
        tenant = tenants.get(vendor, name)
        tenants.reset(tenant)
        return dumped(TenantSchema(), tenants.describe(tenant, self.base_url()))

    def seed_tenant(self, vendor: str, name: str, request: Body, progress: Progress) -> Body:
        tenant = tenants.get(vendor, name)
        seeded = fixtures.seed(tenant, request, progress)
        return dumped(
            SeedResultSchema(), {"seeded": seeded, "tenant": tenants.describe(tenant, self.base_url())}
        )

    def list_credentials(self, vendor: str, name: str) -> Body:
        return dumped(CredentialListingSchema(), credentials.listing(tenants.get(vendor, name)))

    def issue_credential(self, vendor: str, name: str, request: Body) -> Body:
        return dumped(IssuedCredentialSchema(), credentials.issue(tenants.get(vendor, name), request))

    def expire_credential(self, vendor: str, name: str, credential_id: int) -> Body:
        return dumped(CredentialStateSchema(), credentials.expire(tenants.get(vendor, name), credential_id))

    def revoke_credential(self, vendor: str, name: str, credential_id: int) -> Body:
        return dumped(CredentialStateSchema(), credentials.revoke(tenants.get(vendor, name), credential_id))

    def read_journal(self, vendor: str, name: str, filters: Body) -> Body:
        """A page of the journal; the transaction ends with the read, so a follower holds no lock while it waits."""
        try:
            return dumped(JournalPageSchema(), journal.read().page(tenants.get(vendor, name), **filters))
        finally:
            # outside a request a transaction is a writer's: held while following, every
            # worker's writes would queue behind the CLI
            db.session.rollback()

    def clear_journal(self, vendor: str, name: str) -> None:
        journal.read().clear(tenants.get(vendor, name))

    def list_faults(self, tenant: str | None) -> Body:
        return dumped(FaultListSchema(), {"faults": [rules.as_json(r) for r in rules.listing(tenant)]})

    def add_fault(self, rule: Body) -> Body:
        return dumped(FaultSchema(), rules.as_json(rules.add(rule)))

    def show_fault(self, rule_id: int) -> Body:
        return dumped(FaultSchema(), rules.as_json(rules.get(rule_id)))

    def delete_fault(self, rule_id: int) -> None:
        rules.remove(rule_id)

    def clear_faults(self, tenant: str | None) -> Body:
        return dumped(FaultsClearedSchema(), {"removed": rules.clear(tenant)})

    def list_scenarios(self) -> Body:
        return dumped(ScenarioListSchema(), {"scenarios": scenarios.available()})

    def start_scenario(self, name: str, scope: Body) -> Body:
        return dumped(ScenarioRunSchema(), scenarios.status(scenarios.start(name, scope)))

    def scenario_run(self, run_id: int) -> Body:
        return dumped(ScenarioRunSchema(), scenarios.status(scenarios.get(run_id)))

    def stop_scenario(self, run_id: int) -> Body:
        return dumped(ScenarioRunSchema(), scenarios.status(scenarios.stop(scenarios.get(run_id))))


class Unreachable(Exception):
    """The emulator could not be asked at all (refused, unknown host, not an emulator)."""


def tenant_path(vendor: str, name: str, suffix: str = "") -> str:
    """``/tenants/<vendor>/<name><suffix>``, each segment quoted."""
    return f"/tenants/{quote(vendor)}/{quote(name)}{suffix}"


def quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


class RemoteEmulator:
    """A running emulator's control plane over HTTP (urllib: no dependency added)."""

    def __init__(self, url: str, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token or None

    def call(self, method: str, path: str, body: Body | None = None, query: Body | None = None) -> Any:
        """One control-plane request: its decoded JSON answer (None when empty), or a ScimError."""
        try:
            raw = control_http.send(self.url, method, path, body, query, self.admin_token, TIMEOUT)
        except urllib.error.HTTPError as error:
            raise self.refusal(error.code, error.read()) from None
        except OSError as error:  # refused, unknown host, timed out
            reason = getattr(error, "reason", error)
            raise Unreachable(f"cannot reach the emulator at {self.url}: {reason}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise Unreachable(f"{self.url} answered {path} with something other than JSON") from None

    def answer(self, method: str, path: str, body: Body | None = None, query: Body | None = None) -> Body:
        """A call answered with a JSON object (every control-plane answer but a 204)."""
        found: Body = self.call(method, path, body, query)
        return found

    def refusal(self, status: int, raw: bytes) -> Exception:
        """The control plane's error body as a ScimError; anything else means this is no emulator."""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or "detail" not in body:
            return Unreachable(f"{self.url} answered {status}, not as an emulator: is the URL right?")
        if status == 401:
            if self.admin_token:
                detail = f"the emulator at {self.url} refused EMULATOR_ADMIN_TOKEN: it is not its admin token"
            else:
                detail = f"the emulator at {self.url} needs its admin token: set EMULATOR_ADMIN_TOKEN"
            return ScimError(401, detail)
        return ScimError(status, str(body["detail"]), body.get("scimType"))

    def vendors(self) -> Body:
        return self.answer("GET", "/vendors")

    def vendor(self, vendor: str) -> Body:
        return self.answer("GET", f"/vendors/{quote(vendor)}")

    def fixtures(self) -> Body:
        return self.answer("GET", "/fixtures")

    def list_tenants(self) -> Body:
        return self.answer("GET", "/tenants")

    def create_tenant(self, request: Body) -> Body:
        return self.answer("POST", "/tenants", request)

    def show_tenant(self, vendor: str, name: str) -> Body:
        return self.answer("GET", tenant_path(vendor, name))

    def delete_tenant(self, vendor: str, name: str) -> None:
        self.call("DELETE", tenant_path(vendor, name))

    def reset_tenant(self, vendor: str, name: str) -> Body:
        return self.answer("POST", tenant_path(vendor, name, "/reset"))

    def seed_tenant(self, vendor: str, name: str, request: Body, progress: Progress) -> Body:
        """The server seeds in one request: no progress to report on the way."""
        return self.answer("POST", tenant_path(vendor, name, "/seed"), request)

    def list_credentials(self, vendor: str, name: str) -> Body:
        return self.answer("GET", tenant_path(vendor, name, "/credentials"))

    def issue_credential(self, vendor: str, name: str, request: Body) -> Body:
        return self.answer("POST", tenant_path(vendor, name, "/credentials"), request)

    def expire_credential(self, vendor: str, name: str, credential_id: int) -> Body:
        return self.answer("POST", tenant_path(vendor, name, f"/credentials/{credential_id}/expire"))

    def revoke_credential(self, vendor: str, name: str, credential_id: int) -> Body:
        return self.answer("POST", tenant_path(vendor, name, f"/credentials/{credential_id}/revoke"))

    def read_journal(self, vendor: str, name: str, filters: Body) -> Body:
        return self.answer("GET", tenant_path(vendor, name, "/journal"), query=filters)

    def clear_journal(self, vendor: str, name: str) -> None:
        self.call("DELETE", tenant_path(vendor, name, "/journal"))

    def list_faults(self, tenant: str | None) -> Body:
        return self.answer("GET", "/faults", query={"tenant": tenant})

    def add_fault(self, rule: Body) -> Body:
        return self.answer("POST", "/faults", rule)

    def show_fault(self, rule_id: int) -> Body:
        return self.answer("GET", f"/faults/{rule_id}")

    def delete_fault(self, rule_id: int) -> None:
        self.call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self, tenant: str | None) -> Body:
        return self.answer("DELETE", "/faults", query={"tenant": tenant})

    def list_scenarios(self) -> Body:
        return self.answer("GET", "/scenarios")

    def start_scenario(self, name: str, scope: Body) -> Body:
        return self.answer("POST", f"/scenarios/{quote(name)}/start", scope)

    def scenario_run(self, run_id: int) -> Body:
        return self.answer("GET", f"/scenarios/runs/{run_id}")

    def stop_scenario(self, run_id: int) -> Body:
        return self.answer("POST", f"/scenarios/runs/{run_id}/stop")

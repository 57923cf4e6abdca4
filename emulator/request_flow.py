"""The request flow, top to bottom: every request the emulator answers goes through ``serve``.

The addressed tenant is resolved once, then a SCIM request is authenticated the vendor's way,
then a fault rule may fire (so rules count only requests of the tenant's own clients), then the
surface's own guard and the view run; on the finished response a fault may corrupt it, the
journal records what the client was sent, and the request's write is committed or rolled back. ``Emulator.full_dispatch_request`` calls it, so
Flask's routing, error handlers and sessions work as usual around it.
"""

from __future__ import annotations

from flask import Flask, Response, request, request_finished, request_started

from . import auth, database, journal, tenancy
from .auth import oauth
from .errors import ScimError, not_found
from .faults import engine as faults
from .request_state import RequestState
from .routing import TENANT_KEY
from .scim import views as scim

CONTROL_PREFIX = "/_emulator"
TENANT_SURFACES = frozenset({scim.bp.name, oauth.bp.name})  # blueprints that serve a tenant: 404 without one


def serve(app: Flask) -> Response:
    """Answer the current request: tenant, authentication, faults, view; then faults, journal, commit."""
    app._got_first_request = True  # as Flask's own dispatch marks it (set-up methods refuse after)
    state = RequestState.begin(addressed_tenant())
    request_started.send(app, _async_wrapper=app.ensure_sync)
    try:
        if "\x00" in request.path:  # names nothing, and PostgreSQL cannot compare it
            raise ScimError(404, "the URL path contains a NUL character")
        if request.blueprint == scim.bp.name:
            state.writes = False  # reads first; a view that writes does it in database.write_phase()
        resolve_tenant(state, app)
        if request.blueprint == scim.bp.name and request.endpoint not in scim.DISCOVERY:
            state.credential = auth.authenticate(state.tenant, state.tenant_scope.profile, request)
        if state.tenant is not None:  # after authentication: a rule counts only the client's requests
            faults.before(state)
        answer = app.preprocess_request()  # the surface's own guard: control plane, dashboard
        if answer is None:
            answer = app.dispatch_request()
    except Exception as error:  # noqa: BLE001  (Flask's error handlers turn it into the answer)
        answer = app.handle_user_exception(error)
    response = app.make_response(answer)
    response = faults.after(state, response)
    journal.record(state, response)
    database.finish_request(state, response)
    response = app.process_response(response)
    request_finished.send(app, _async_wrapper=app.ensure_sync, response=response)
    return response


def addressed_tenant() -> tuple[str, str] | None:
    """The (vendor, name) of a tenant request; the control plane is no tenant's, on any host."""
    if request.path.startswith(CONTROL_PREFIX):
        return None
    key: tuple[str, str] | None = request.environ.get(TENANT_KEY)
    return key


def resolve_tenant(state: RequestState, app: Flask) -> None:
    """Read the addressed tenant once; a surface that serves a tenant answers 404 without one."""
    if state.key is not None:
        state.tenant = tenancy.lookup(*state.key)
        if state.tenant is not None:
            state.scope = tenancy.scope_of(state.tenant)
            return
    if request.blueprint not in TENANT_SURFACES:
        return
    if state.key is None:
        raise not_found(
            "no tenant addressed: use Host <name>.<vendor>."
            f"{app.config['EMULATOR_BASE_DOMAIN']} or the /t/<vendor>/<name>/scim/v2 alias"
        )
    raise not_found(f"no tenant {state.key[0]}/{state.key[1]}")


class Emulator(Flask):
    """Flask, with every request answered by ``serve``."""

    def full_dispatch_request(self) -> Response:
        return serve(self)

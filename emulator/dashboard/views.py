"""The web dashboard at ``/`` of the bare host: thin pages over the control plane's services."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from .. import credentials, journal, tenants
from ..errors import ScimError, bad_request, error_response
from ..extensions import db
from ..faults import engine, rules, scenarios
from ..models import Tenant
from ..routing import TENANT_KEY
from ..scim import filter as scim_filter
from ..scim.query import Lister, ListRequest, list_page
from ..scim.store import Store
from ..vendors import VENDORS
from . import access, chart

bp = Blueprint(
    "dashboard",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/dashboard",
)
OPEN = frozenset({"dashboard.login", "dashboard.static"})
PAGE_SIZE = 25
LIVE_ROWS = 50
FILTER_OPERATOR = re.compile(r"\s(eq|ne|co|sw|ew|gt|ge|lt|le|pr)(\s|$)", re.IGNORECASE)
Page = str | BaseResponse | tuple[str, int]


@bp.record_once
def use_dashboard_sessions(state: Any) -> None:
    """Session cookies signed alike by every worker (see ``access.signing_key``)."""
    state.app.session_interface = access.DashboardSessions()


@bp.before_request
def guard() -> BaseResponse | None:
    """Bare host only; then the control plane's rule (or a signed-in session); CSRF on POSTs."""
    if TENANT_KEY in request.environ:
        return error_response(ScimError(404, "the dashboard is served on the bare host only"))
    if request.endpoint == "dashboard.static":
        return None
    if request.endpoint not in OPEN and not access.allowed(request):
        if request.method == "GET" and request.endpoint != "dashboard.live":
            return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))
        return error_page(401, "sign in first: this emulator has an admin token")
    if request.method == "POST" and not access.csrf_valid(request):
        return error_page(400, "the form's CSRF token is missing or stale: reload the page and try again")
    return None


@bp.after_request
def secure(response: Response) -> Response:
    return access.secure(response)


@bp.errorhandler(ScimError)
def service_error(error: ScimError) -> BaseResponse:
    return error_page(error.status, error.detail)


@bp.context_processor
def page_globals() -> dict[str, Any]:
    return {
        "csrf_token": access.csrf_token,
        "signed_in": access.signed_in(),
        "token_required": access.token_required(),
    }


@bp.app_template_filter("unquoted")
def unquoted(text: str) -> str:
    """A query string as people read it: ``filter=userName eq "ada"``."""
    return unquote_plus(text)


def error_page(status: int, detail: str) -> BaseResponse:
    return Response(render_template("dashboard/error.html", status=status, detail=detail), status)


def local(target: str | None, default: str) -> str:
    """A redirect target that stays on this site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def back(default: str | None = None) -> BaseResponse:
    return redirect(local(request.form.get("next"), default or url_for("dashboard.index")))


def attempt(action: Callable[[], Any], done: str) -> None:
    """Run a service operation; flash its outcome (a refusal becomes an error message)."""
    try:
        action()
    except ScimError as error:
        db.session.rollback()
        flash(error.detail, "error")
        return
    flash(done, "ok")


# -- sign-in --------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    """The admin token, asked once and kept as a fingerprint in the session cookie."""
    target = local(request.values.get("next"), url_for("dashboard.index"))
    if not access.token_required():
        return redirect(target)
    if request.method == "POST":
        if access.token_matches(request.form.get("token", "")):
            access.sign_in()
            return redirect(target)
        return render_template("dashboard/login.html", target=target, failed=True), 401
    return render_template("dashboard/login.html", target=target, failed=False)


@bp.post("/logout")
def logout() -> BaseResponse:
    session.clear()
    return redirect(url_for("dashboard.login"))


# -- tenants --------------------------------------------------------------------------------


def credential_summary(described: dict[str, Any]) -> dict[str, Any]:
    """What the tenants table says about credentials: usable ones, lapsed ones, pending accounts."""
    states = [c["state"] for c in described["credentials"]]
    return {
        "active": [c for c in described["credentials"] if c["state"] == "active"],
        "revoked": states.count("revoked"),
        "expired": states.count("expired"),
        "accounts": described["accounts"],
        "pending": [a for a in described["accounts"] if not a["active"]],
    }


def tenant_row(tenant: Tenant, recent: dict[int, int]) -> dict[str, Any]:
    described = tenants.describe(tenant, request.url_root)
    return {
        **described,
        "key": tenant.key,
        "credential": credential_summary(described),
        "recent": recent.get(tenant.id, 0),
        "faults": len(engine.candidates(tenant.vendor, tenant.name)),
    }


@bp.get("/")
def index() -> str:
    """Every tenant with its addresses, credentials, data, traffic and faults."""
    recent = journal.read().recent_counts(60)
    rows = [tenant_row(t, recent) for t in tenants.list_all()]
    return render_template("dashboard/tenants.html", rows=rows, vendors=sorted(VENDORS))


def options_of(text: str) -> Any:
    """The options field parsed as JSON ({} when blank); ``tenants.create`` decides whether it will do."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError as error:
        raise bad_request(f"options must be a JSON object: {error}") from None


@bp.post("/tenants")
def create_tenant() -> Page:
    """Create a tenant; its credential is shown on the answer, this once."""
    vendor, name = request.form.get("vendor", ""), request.form.get("name", "").strip()
    try:
        options = options_of(request.form.get("options", ""))
        tenant, shown = tenants.create({"vendor": vendor, "name": name, "options": options})
    except ScimError as error:
        db.session.rollback()
        flash(error.detail, "error")
        return redirect(url_for("dashboard.index"))
    return render_template("dashboard/issued.html", row=tenant_row(tenant, {}), shown=shown, created=True)


@bp.post("/tenants/<vendor>/<name>/reset")
def reset_tenant(vendor: str, name: str) -> BaseResponse:
    tenant = tenants.get(vendor, name)
    attempt(lambda: tenants.reset(tenant), f"{tenant.key} reset: users, groups and journal emptied")
    return back()


@bp.post("/tenants/<vendor>/<name>/delete")
def delete_tenant(vendor: str, name: str) -> BaseResponse:
    tenant = tenants.get(vendor, name)
    key = tenant.key
    attempt(lambda: tenants.delete_tenant(tenant), f"{key} deleted")
    return redirect(url_for("dashboard.index"))


@bp.post("/tenants/<vendor>/<name>/rotate")
def rotate_credentials(vendor: str, name: str) -> Page:
    """Issue a new credential in the vendor's way and revoke the ones it replaces."""
    tenant = tenants.get(vendor, name)
    shown = credentials.issue(tenant, {"rotate": True})
    return render_template("dashboard/issued.html", row=tenant_row(tenant, {}), shown=shown, created=False)


@bp.post("/tenants/<vendor>/<name>/accounts/<username>/activate")
def activate_account(vendor: str, name: str, username: str) -> BaseResponse:
    tenant = tenants.get(vendor, name)
    attempt(
        lambda: credentials.set_account_active(tenant, username, True),
        f"{username} of {tenant.key} activated",
    )
    return back()


# -- one tenant -----------------------------------------------------------------------------


def store_of(tenant: Tenant, type_name: str) -> Store | None:
    """The SCIM store of a resource type, or None when the vendor has no such type."""
    scope = tenants.scope_of(tenant)
    resource_type = scope.profile.resource_type(type_name)
    if resource_type is None:
        return None
    return Store(scope, resource_type, tenants.urls(tenant, request.url_root)["alias_url"])


def search_filter(store: Store, text: str) -> str:
    """A SCIM filter as typed, or words turned into ``userName co "words"`` (displayName for groups)."""
    if FILTER_OPERATOR.search(text):
        return text
    attribute = store.unique_attribute.name if store.unique_attribute else "displayName"
    return f"{attribute} co {json.dumps(text)}"


def resources_page(store: Store, text: str, page: int) -> dict[str, Any]:
    """One page of a tenant's users or groups; a search sees past the vendor's filter limits."""
    lister = Lister(store, PAGE_SIZE)
    start = (page - 1) * PAGE_SIZE + 1
    if not text:
        return lister.answer(ListRequest(start_index=start, count=PAGE_SIZE))
    node = scim_filter.parse_filter(search_filter(store, text))
    scim_filter.check_types(node, store.resource_type)
    found = lister.collect(node, ListRequest())
    return list_page(len(found), start, found[start - 1 : start - 1 + PAGE_SIZE])


def positive(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


@bp.get("/tenants/<vendor>/<name>")
def tenant_page(vendor: str, name: str) -> str:
    """Users or groups (paged, searchable), the live journal and its chart, the tenant's faults."""
    tenant = tenants.get(vendor, name)
    show = "groups" if request.args.get("show") == "groups" else "users"
    text = request.args.get("q", "").strip()
    page = positive(request.args.get("page"))
    stores = {
        kind: store_of(tenant, type_name) for kind, type_name in (("users", "User"), ("groups", "Group"))
    }
    store = stores[show] or stores["users"]
    listing, problem = None, None
    if store is not None:
        try:
            listing = resources_page(store, text, page)
        except ScimError as error:
            problem = error.detail
    reader = journal.read()
    entries = reader.newest(tenant, limit=LIVE_ROWS)
    return render_template(
        "dashboard/tenant.html",
        tenant=tenant,
        row=tenant_row(tenant, reader.recent_counts(60)),
        show=show if stores[show] else "users",
        has_groups=stores["groups"] is not None,
        text=text,
        page=page,
        page_size=PAGE_SIZE,
        listing=listing,
        problem=problem,
        entries=entries,
        last=entries[0].id if entries else "",
        bound=reader.bound(tenant),
        chart=chart.stacked(reader.traffic(tenant)),
        rules=[rules.as_json(r) for r in engine.candidates(tenant.vendor, tenant.name)],
    )


@bp.get("/tenants/<vendor>/<name>/<any(users, groups):kind>/<scim_id>")
def resource_page(vendor: str, name: str, kind: str, scim_id: str) -> str:
    """A user's or group's full SCIM JSON; a group's members linked to their pages."""
    tenant = tenants.get(vendor, name)
    store = store_of(tenant, "User" if kind == "users" else "Group")
    if store is None:
        raise ScimError(404, f"{tenant.vendor} tenants have no {kind}")
    resource = store.render([store.get(scim_id)])[0]
    return render_template(
        "dashboard/resource.html",
        tenant=tenant,
        kind=kind,
        resource=resource,
        document=json.dumps(resource, indent=2, ensure_ascii=False),
    )


@bp.get("/tenants/<vendor>/<name>/live")
def live(vendor: str, name: str) -> Response:
    """What the live journal polls: rows newer than ``after`` (or all, after a reset) and the chart."""
    tenant = tenants.get(vendor, name)
    after = request.args.get("after", type=int)
    reader = journal.read()
    entries = reader.newest(tenant, after, LIVE_ROWS)
    replace = after is None
    if after is not None and not entries:
        top = reader.newest(tenant, limit=1)
        if not top or top[0].id < after:  # the journal was emptied (ids may start over)
            entries, replace = reader.newest(tenant, limit=LIVE_ROWS), True
    rows = render_template("dashboard/_journal_rows.html", tenant=tenant, entries=entries)
    return jsonify(
        last=entries[0].id if entries else (None if replace else after),
        replace=replace,
        rows=rows,
        chart=render_template("dashboard/_traffic.html", chart=chart.stacked(reader.traffic(tenant))),
        bound=reader.bound(tenant),
    )


@bp.get("/tenants/<vendor>/<name>/journal/<int:entry_id>")
def journal_entry(vendor: str, name: str, entry_id: int) -> str:
    """One request and its response, as the journal keeps them."""
    tenant = tenants.get(vendor, name)
    entry = journal.as_json(journal.read().entry(tenant, entry_id))
    return render_template(
        "dashboard/entry.html",
        tenant=tenant,
        entry=entry,
        request_body=pretty(entry["request"]["body"]),
        response_body=pretty(entry["response"]["body"]),
    )


def pretty(body: Any) -> str | None:
    if body is None or isinstance(body, str):
        return body
    return json.dumps(body, indent=2, ensure_ascii=False)


# -- faults and scenarios -------------------------------------------------------------------

TEXT_FIELDS = ("tenant", "vendor", "method", "path", "operation")
NUMBER_FIELDS: dict[str, type] = {
    "times": int,
    "after": int,
    "seed": int,
    "probability": float,
    "ttl_seconds": float,
}
ACTION_FIELDS: dict[str, type] = {
    "status": int,
    "retry_after": int,
    "ms": int,
    "jitter_ms": int,
    "seconds": float,
    "detail": str,
}


def number(kind: type, name: str, text: str) -> Any:
    try:
        return kind(text)
    except ValueError:
        raise bad_request(f"{name} must be a number, not {text!r}") from None


def fault_body(form: Any) -> dict[str, Any]:
    """The control plane's JSON for a rule, from the form's non-empty fields."""
    body: dict[str, Any] = {n: form[n].strip() for n in TEXT_FIELDS if form.get(n, "").strip()}
    body.update(
        {n: number(kind, n, form[n].strip()) for n, kind in NUMBER_FIELDS.items() if form.get(n, "").strip()}
    )
    action: dict[str, Any] = {"type": form.get("action", "")}
    for name, kind in ACTION_FIELDS.items():
        text = form.get(f"action_{name}", "").strip()
        if text:
            action[name] = text if kind is str else number(kind, name, text)
    body["action"] = action
    return body


@bp.get("/faults")
def faults_page() -> str:
    """Rules with their counters, a form for a new one, the shipped scenarios and their runs."""
    return render_template(
        "dashboard/faults.html",
        rules=[rules.as_json(r) for r in rules.listing()],
        scenarios=scenarios.available(),
        runs=[scenarios.status(r) for r in reversed(scenarios.runs())],
        tenant_keys=[t.key for t in tenants.list_all()],
        vendors=sorted(VENDORS),
        actions=rules.ACTIONS,
        chosen=request.args.get("tenant", ""),
    )


@bp.post("/faults")
def create_fault() -> BaseResponse:
    def create() -> None:
        rule = rules.add(fault_body(request.form))
        flash(f"fault rule {rule.id} created", "ok")

    try:
        create()
    except ScimError as error:
        db.session.rollback()
        flash(error.detail, "error")
    return back(url_for("dashboard.faults_page"))


@bp.post("/faults/<int:rule_id>/delete")
def delete_fault(rule_id: int) -> BaseResponse:
    attempt(lambda: rules.remove(rule_id), f"fault rule {rule_id} removed")
    return back(url_for("dashboard.faults_page"))


@bp.post("/faults/<int:rule_id>/<any(enable, disable):change>")
def toggle_fault(rule_id: int, change: str) -> BaseResponse:
    enabled = change == "enable"
    attempt(lambda: rules.change(rules.get(rule_id), {"enabled": enabled}), f"fault rule {rule_id} {change}d")
    return back(url_for("dashboard.faults_page"))


@bp.post("/scenarios/<scenario>/start")
def start_scenario(scenario: str) -> BaseResponse:
    """Start a shipped scenario for one tenant, a vendor, or every tenant."""

    def start() -> None:
        scope: dict[str, Any] = {n: request.form[n] for n in ("tenant", "vendor") if request.form.get(n)}
        scale = request.form.get("time_scale", "").strip()
        if scale:
            scope["time_scale"] = number(float, "time_scale", scale)
        scenarios.start(scenario, scope)

    attempt(start, f"scenario {scenario} started")
    return back(url_for("dashboard.faults_page"))


@bp.post("/scenarios/runs/<int:run_id>/stop")
def stop_run(run_id: int) -> BaseResponse:
    attempt(lambda: scenarios.stop(scenarios.get(run_id)), f"scenario run {run_id} stopped")
    return back(url_for("dashboard.faults_page"))

"""``flask emulator ...``: the control plane from a terminal, over the same services.

Tables for people by default, ``--json`` (the control plane's response shapes) for scripts;
a failure is one ``Error: ...`` line and exit status 1.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click
import yaml
from flask import current_app
from flask.cli import AppGroup
from marshmallow import Schema

from . import credentials, fixtures, journal, tenants
from .control.schemas import (
    CredentialListingSchema,
    CredentialStateSchema,
    FaultListSchema,
    FaultSchema,
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
from .fixtures import SeedRequestSchema
from .inputs import Refused
from .models import Tenant
from .vendors import VENDORS

Column = tuple[str, Callable[[dict[str, Any]], Any]]


class EmulatorGroup(AppGroup):
    """The ``emulator`` group: a service's ScimError becomes one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScimError as error:
            raise click.ClickException(error.detail) from None


@click.group("emulator", cls=EmulatorGroup)
@click.option(
    "--base-url",
    metavar="URL",
    help="where clients reach the emulator, for the URLs shown [EMULATOR_PUBLIC_URL, http://localhost:8000/]",
)
@click.pass_context
def emulator(ctx: click.Context, base_url: str | None) -> None:
    """Manage the SCIM emulator: tenants, credentials, journal, seed data, faults and scenarios."""
    ctx.meta["emulator.base_url"] = base_url


# -- output ---------------------------------------------------------------------------------


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="print JSON (the control plane's shape)")(
        command
    )


def print_json(schema: Schema, data: Any) -> None:
    """``data`` dumped through its control-plane schema, as the API answers it."""
    click.echo(json.dumps(schema.dump(data), indent=2, ensure_ascii=False))


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[Column], empty: str = "(none)") -> None:
    """Plain aligned columns under upper-case headers."""
    if not rows:
        click.echo(empty)
        return
    cells = [[cell(value(row)) for _, value in columns] for row in rows]
    widths = [max(len(header), *(len(r[i]) for r in cells)) for i, (header, _) in enumerate(columns)]
    for line in ([header for header, _ in columns], *cells):
        click.echo("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip())


def print_fields(pairs: Sequence[tuple[str, Any]]) -> None:
    """``name   value`` lines."""
    width = max(len(name) for name, _ in pairs)
    for name, value in pairs:
        click.echo(f"{name.ljust(width)}  {cell(value)}")


# -- arguments ------------------------------------------------------------------------------


class TenantKey(click.ParamType):
    """A tenant written ``vendor/name``."""

    name = "VENDOR/NAME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        vendor, slash, name = str(value).partition("/")
        if not slash or not vendor or not name or "/" in name:
            self.fail(f"{value!r} is not a tenant: write it as vendor/name, e.g. generic/acme", param, ctx)
        return vendor, name


def settings_of(pairs: Sequence[str], what: str) -> dict[str, Any]:
    """``key=value`` pairs; values are read as YAML scalars (``30`` a number, ``true`` a boolean)."""
    found: dict[str, Any] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint=what)
        found[key] = yaml.safe_load(value) if value else ""
    return found


tenant_argument = click.argument("tenant", type=TenantKey())


def tenant_of(key: tuple[str, str]) -> Tenant:
    return tenants.get(*key)


def base_url() -> str:
    given = click.get_current_context().find_root().meta.get("emulator.base_url")
    root = given or current_app.config.get("EMULATOR_PUBLIC_URL") or "http://localhost:8000/"
    return root if root.endswith("/") else root + "/"


# -- vendors and fixtures ----------------------------------------------------------------------


@emulator.command("vendors")
@click.argument("vendor", required=False)
@json_option
def vendors_command(vendor: str | None, as_json: bool) -> None:
    """List the vendor profiles, or show one with its attribute table and quirks."""
    if vendor is None:
        profiles = [p.to_json() for p in VENDORS.values()]
        if as_json:
            return print_json(VendorListSchema(), {"vendors": profiles})
        return print_table(
            profiles,
            [
                ("VENDOR", lambda p: p["vendor"]),
                ("AUTH", lambda p: ", ".join(a["type"] for a in p["auth"])),
                ("RESOURCES", lambda p: ", ".join(p["resource_types"])),
                ("TITLE", lambda p: p["title"]),
            ],
        )
    profile = tenants.profile_or_error(vendor).to_json()
    if as_json:
        return print_json(VendorSchema(), profile)
    print_fields(
        [
            ("vendor", profile["vendor"]),
            ("title", profile["title"]),
            ("auth", ", ".join(a["type"] for a in profile["auth"])),
            ("userName case", "sensitive" if profile["username_case_sensitive"] else "insensitive"),
        ]
    )
    for name, resource_type in profile["resource_types"].items():
        click.echo(f"\n{name} ({resource_type['endpoint']})")
        click.echo("  " + ", ".join(a["name"] for a in resource_type["attributes"]))
    click.echo("\nQuirks")
    print_table(
        profile["quirks"],
        [
            ("NAME", lambda q: q["name"]),
            ("DEFAULT", lambda q: q["default"]),
            ("CHOICES", lambda q: "|".join(map(str, q.get("choices", [])))),
        ],
    )


@emulator.command("fixtures")
@json_option
def fixtures_command(as_json: bool) -> None:
    """List the seed data sets shipped in fixtures/."""
    found = fixtures.available()
    if as_json:
        return print_json(FixtureListSchema(), {"fixtures": found})
    print_table(
        found,
        [
            ("NAME", lambda f: f["name"]),
            ("VERSION", lambda f: f["version"]),
            ("USERS", lambda f: f["users"]),
            ("GROUPS", lambda f: f["groups"]),
        ],
    )


# -- tenants --------------------------------------------------------------------------------------


@emulator.group("tenants", invoke_without_command=True)
@click.pass_context
def tenants_group(ctx: click.Context) -> None:
    """Create, list, show, reset, seed and delete tenants (alone: list them)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_tenants)


TENANT_COLUMNS: list[Column] = [
    ("TENANT", lambda t: f"{t['vendor']}/{t['name']}"),
    ("USERS", lambda t: t["counts"]["users"]),
    ("GROUPS", lambda t: t["counts"]["groups"]),
    ("ALIAS URL", lambda t: t["alias_url"]),
    ("SCIM URL", lambda t: t["scim_url"]),
]


@tenants_group.command("list")
@json_option
def list_tenants(as_json: bool = False) -> None:
    """List tenants with their URLs."""
    described = [tenants.describe(t, base_url()) for t in tenants.list_all()]
    if as_json:
        return print_json(TenantListSchema(), {"tenants": described})
    print_table(described, TENANT_COLUMNS, empty="no tenants")


def print_tenant(body: dict[str, Any]) -> None:
    defaults = tenants.profile_or_error(body["vendor"]).options()
    changed = {k: v for k, v in body["options"].items() if v != defaults.get(k)}
    print_fields(
        [
            ("tenant", f"{body['vendor']}/{body['name']}"),
            ("scim_url", body["scim_url"]),
            ("alias_url", body["alias_url"]),
            ("users", body["counts"]["users"]),
            ("groups", body["counts"]["groups"]),
            ("created_at", body["created_at"]),
            ("options", ", ".join(f"{k}={v}" for k, v in changed.items()) or "vendor defaults"),
        ]
    )


def print_credential_states(listing: dict[str, Any]) -> None:
    print_table(
        listing["credentials"],
        [
            ("ID", lambda c: c["id"]),
            ("TYPE", lambda c: c["type"]),
            ("LABEL", lambda c: c["label"]),
            ("ACCOUNT", lambda c: c["account"]),
            ("STATE", lambda c: c["state"]),
            ("EXPIRES", lambda c: c["expires_at"]),
            ("LAST USED", lambda c: c["last_used_at"]),
        ],
        empty="no stored tokens or keys",
    )
    if listing["accounts"]:
        click.echo()
        print_table(
            listing["accounts"],
            [
                ("ACCOUNT", lambda a: a["username"]),
                ("ROLE", lambda a: a["role"]),
                ("ACTIVE", lambda a: a["active"]),
            ],
        )


def print_issued(shown: dict[str, Any]) -> None:
    print_fields([(k, v) for k, v in shown.items()])
    click.echo("(secrets are shown this once)")


@tenants_group.command("create")
@tenant_argument
@click.option("-o", "--option", "options", multiple=True, metavar="QUIRK=VALUE", help="a quirk override")
@click.option(
    "-c", "--credential", "given", multiple=True, metavar="KEY=VALUE", help="a fixed credential: token=..."
)
@json_option
def create_tenant(
    tenant: tuple[str, str], options: tuple[str, ...], given: tuple[str, ...], as_json: bool
) -> None:
    """Create a tenant and print its credentials (shown this once)."""
    vendor, name = tenant
    created, shown = tenants.create(
        {
            "vendor": vendor,
            "name": name,
            "options": settings_of(options, "--option"),
            "credentials": settings_of(given, "--credential") or None,
        }
    )
    body = tenants.describe(created, base_url())
    body["credentials"] = shown
    if as_json:
        return print_json(TenantCreatedSchema(), body)
    print_tenant(body)
    click.echo("\nCredentials")
    print_issued(shown)


@tenants_group.command("show")
@tenant_argument
@json_option
def show_tenant(tenant: tuple[str, str], as_json: bool) -> None:
    """Show a tenant: its URLs, counts, options and credential states."""
    body = tenants.describe(tenant_of(tenant), base_url())
    if as_json:
        return print_json(TenantSchema(), body)
    print_tenant(body)
    click.echo("\nCredentials")
    print_credential_states(body)


@tenants_group.command("delete")
@tenant_argument
@click.option("-y", "--yes", is_flag=True, help="do not ask")
def delete_tenant(tenant: tuple[str, str], yes: bool) -> None:
    """Delete a tenant with its users, groups, credentials and journal."""
    found = tenant_of(tenant)
    if not yes:
        click.confirm(f"Delete {found.key} and everything it holds?", abort=True)
    tenants.delete_tenant(found)
    click.echo(f"deleted {found.key}")


@tenants_group.command("reset")
@tenant_argument
@json_option
def reset_tenant(tenant: tuple[str, str], as_json: bool) -> None:
    """Empty a tenant's users, groups and journal; keep its credentials."""
    found = tenant_of(tenant)
    tenants.reset(found)
    body = tenants.describe(found, base_url())
    if as_json:
        return print_json(TenantSchema(), body)
    click.echo(f"reset {found.key}: users, groups and journal emptied; credentials kept")


# a seed request's refusals in this command's words (the rule itself is SeedRequestSchema's)
SEED_USAGE = {
    SeedRequestSchema.NEITHER: "give --fixture NAME, or --users N (and --groups M)",
    SeedRequestSchema.BOTH: "give either --fixture or --users/--groups, not both",
}


@tenants_group.command("seed")
@tenant_argument
@click.option("-f", "--fixture", help="a named fixture set (see `flask emulator fixtures`)")
@click.option("-u", "--users", type=click.IntRange(0), help="generate this many users")
@click.option("-g", "--groups", type=click.IntRange(0), help="and this many groups, users spread over them")
@click.option("-p", "--prefix", help="userName prefix of generated users [user]")
@json_option
def seed_tenant(
    tenant: tuple[str, str],
    fixture: str | None,
    users: int | None,
    groups: int | None,
    prefix: str | None,
    as_json: bool,
) -> None:
    """Load a fixture, or generated users and groups, through the vendor's attribute table."""
    request = {
        key: value
        for key, value in (("fixture", fixture), ("users", users), ("groups", groups), ("prefix", prefix))
        if value is not None
    }
    found = tenant_of(tenant)
    try:
        with progress_bar(f"seeding {found.key}") as progress:
            seeded = fixtures.seed(found, request, progress)
    except Refused as refusal:
        usage = [SEED_USAGE[m] for m in refusal.messages.get("_schema", ()) if m in SEED_USAGE]
        if usage:
            raise click.UsageError(usage[0]) from None
        raise
    if as_json:
        return print_json(
            SeedResultSchema(), {"seeded": seeded, "tenant": tenants.describe(found, base_url())}
        )
    line = f"seeded {found.key}: {seeded['users']} users, {seeded['groups']} groups"
    if seeded["skipped_groups"]:
        line += f" ({seeded['skipped_groups']} groups skipped: {found.vendor} tenants have no groups)"
    click.echo(line)


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A ``fixtures.seed`` progress callback drawing a bar on stderr (stdout stays for --json)."""
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(
                    stack.enter_context(click.progressbar(length=total, label=label, file=sys.stderr))
                )
            bars[0].update(done - bars[0].pos)

        yield progress


# -- credentials ----------------------------------------------------------------------------------


@emulator.group("credentials")
def credentials_group() -> None:
    """List, issue, rotate, expire and revoke a tenant's credentials."""


@credentials_group.command("list")
@tenant_argument
@json_option
def list_credentials(tenant: tuple[str, str], as_json: bool) -> None:
    """A tenant's credentials (states, never secrets) and vendor accounts."""
    listing = credentials.listing(tenant_of(tenant))
    if as_json:
        return print_json(CredentialListingSchema(), listing)
    print_credential_states(listing)


def issue_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "-s",
        "--set",
        "given",
        multiple=True,
        metavar="KEY=VALUE",
        help="a vendor setting: token=..., validity_days=30, expires_in=3600, username=..., ...",
    )(command)
    return click.option("--style", help="one of the vendor's auth styles (its first by default)")(command)


def issue(
    tenant: tuple[str, str], style: str | None, given: tuple[str, ...], rotate: bool, as_json: bool
) -> None:
    settings = settings_of(given, "--set")
    if style is not None:
        settings["style"] = style
    shown = credentials.issue(tenant_of(tenant), {**settings, "rotate": rotate})
    if as_json:
        return print_json(IssuedCredentialSchema(), shown)
    print_issued(shown)


@credentials_group.command("issue")
@tenant_argument
@issue_options
@json_option
def issue_credential(
    tenant: tuple[str, str], style: str | None, given: tuple[str, ...], as_json: bool
) -> None:
    """Issue another credential the vendor's way (the others stay valid)."""
    issue(tenant, style, given, False, as_json)


@credentials_group.command("rotate")
@tenant_argument
@issue_options
@json_option
def rotate_credential(
    tenant: tuple[str, str], style: str | None, given: tuple[str, ...], as_json: bool
) -> None:
    """Issue a credential and revoke the ones of the same kind it replaces."""
    issue(tenant, style, given, True, as_json)


@credentials_group.command("expire")
@tenant_argument
@click.argument("credential_id", type=int, metavar="ID")
@json_option
def expire_credential(tenant: tuple[str, str], credential_id: int, as_json: bool) -> None:
    """Make a credential expire now, as if its time had run out."""
    state = credentials.expire(tenant_of(tenant), credential_id)
    if as_json:
        return print_json(CredentialStateSchema(), state)
    click.echo(f"credential {credential_id} of {tenant[0]}/{tenant[1]}: {state['state']}")


@credentials_group.command("revoke")
@tenant_argument
@click.argument("credential_id", type=int, metavar="ID")
@json_option
def revoke_credential(tenant: tuple[str, str], credential_id: int, as_json: bool) -> None:
    """Revoke a credential now."""
    state = credentials.revoke(tenant_of(tenant), credential_id)
    if as_json:
        return print_json(CredentialStateSchema(), state)
    click.echo(f"credential {credential_id} of {tenant[0]}/{tenant[1]}: {state['state']}")


# -- journal --------------------------------------------------------------------------------------


JOURNAL_COLUMNS: list[Column] = [
    ("ID", lambda e: e["id"]),
    ("AT", lambda e: e["at"]),
    ("METHOD", lambda e: e["method"]),
    ("PATH", lambda e: e["path"] + (f"?{e['query']}" if e["query"] else "")),
    ("STATUS", lambda e: e["status"]),
    ("MS", lambda e: f"{e['duration_ms']:.1f}"),
    ("FAULT", lambda e: fault_text(e["fault"])),
]


def fault_text(fault: dict[str, Any] | None) -> str | None:
    """``status (rule 3)``."""
    if not fault:
        return None
    rule = f" (rule {fault['rule']})" if "rule" in fault else ""
    return f"{fault.get('action', fault.get('type', '?'))}{rule}"


@emulator.group("journal")
def journal_group() -> None:
    """Read and clear a tenant's request journal."""


@journal_group.command("tail")
@tenant_argument
@click.option("-n", "--lines", default=20, show_default=True, type=click.IntRange(1), help="newest entries")
@click.option("--method", help="only this method")
@click.option("--path", help="only paths matching this pattern: /Users*")
@click.option("--status", help="only this status: 201, 4xx or 400-499")
@click.option("--since", help="only entries since this ISO 8601 time")
@click.option("-f", "--follow", is_flag=True, help="keep printing new entries until interrupted")
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05), help="poll seconds")
@json_option
def tail_journal(
    tenant: tuple[str, str],
    lines: int,
    method: str | None,
    path: str | None,
    status: str | None,
    since: str | None,
    follow: bool,
    interval: float,
    as_json: bool,
) -> None:
    """The newest entries, oldest first as in tail; --json: the API's page, newest first."""
    found = tenant_of(tenant)
    filters = {"method": method, "path": path, "status": status, "since": since}
    reader = journal.read()
    newest = reader.entries(found, limit=lines, **filters)
    bound = reader.bound(found)
    page = {"bound": bound, "entries": [journal.as_json(e) for e in newest]}
    if as_json and not follow:
        return print_json(JournalPageSchema(), page)
    show_entries(list(reversed(page["entries"])), as_json, header=True)
    if not bound["complete"] and not as_json:
        click.echo(
            f"(journal trimmed: {bound['dropped']} oldest entries dropped; it keeps {bound['max_entries']})"
        )
    if follow:
        follow_journal(found, newest[0].id if newest else 0, filters, interval, as_json)


def show_entries(entries: list[dict[str, Any]], as_json: bool, header: bool) -> None:
    if as_json:  # one JSON object a line, for following
        for entry in entries:
            click.echo(json.dumps(entry, ensure_ascii=False))
        return
    if header:
        print_table(entries, JOURNAL_COLUMNS, empty="(no entries)")
    elif entries:
        # align with widths good enough for a stream: one line per entry
        for entry in entries:
            click.echo("  ".join(cell(value(entry)) for _, value in JOURNAL_COLUMNS))


def follow_journal(
    tenant: Tenant, last: int, filters: dict[str, Any], interval: float, as_json: bool
) -> None:
    """Poll for entries newer than ``last`` until interrupted."""
    try:
        while True:
            # no transaction held while waiting (outside a request it is a writer's, holding the
            # write lock every worker queues on), and a fresh snapshot after it
            db.session.rollback()
            time.sleep(interval)
            fresh = journal.read().entries(tenant, after=last, **filters)
            if fresh:
                last = fresh[0].id
                show_entries([journal.as_json(e) for e in reversed(fresh)], as_json, header=False)
    except KeyboardInterrupt:
        pass


@journal_group.command("clear")
@tenant_argument
def clear_journal(tenant: tuple[str, str]) -> None:
    """Empty a tenant's journal."""
    found = tenant_of(tenant)
    journal.read().clear(found)
    click.echo(f"cleared the journal of {found.key}")


# -- faults and scenarios -------------------------------------------------------------------------


def rule_scope(rule: dict[str, Any]) -> str:
    scope = rule["tenant"] or (f"vendor {rule['vendor']}" if rule["vendor"] else "every tenant")
    narrowed = " ".join(part for part in (rule["method"], rule["path"], rule["operation"]) if part)
    return f"{scope} {narrowed}".strip()


def print_rules(found: Sequence[dict[str, Any]]) -> None:
    print_table(
        found,
        [
            ("ID", lambda r: r["id"]),
            ("SCOPE", rule_scope),
            ("ACTION", lambda r: " ".join(f"{k}={v}" for k, v in r["action"].items() if k != "type") or "-"),
            ("TYPE", lambda r: r["action"]["type"]),
            ("MATCHED", lambda r: r["matched"]),
            ("FIRED", lambda r: r["fired"] if r["times"] is None else f"{r['fired']}/{r['times']}"),
            ("STATE", lambda r: r["state"]),
        ],
        empty="(no fault rules)",
    )


@emulator.group("faults")
def faults_group() -> None:
    """List, add, show, remove and clear fault rules."""


@faults_group.command("list")
@click.option("-t", "--tenant", metavar="VENDOR/NAME", help="only the rules scoped to this tenant")
@json_option
def list_faults(tenant: str | None, as_json: bool) -> None:
    """Fault rules with how often each matched and fired."""
    found = [rules.as_json(r) for r in rules.listing(tenant)]
    if as_json:
        return print_json(FaultListSchema(), {"faults": found})
    print_rules(found)


@faults_group.command("add")
@click.argument("rule")
@json_option
def add_fault(rule: str, as_json: bool) -> None:
    """Add a rule given as the JSON the control plane takes, e.g.
    '{"tenant": "britive/acme", "method": "POST", "path": "/Users", "times": 2,
    "action": {"type": "status", "status": 429, "retry_after": 5}}'."""
    try:
        body = json.loads(rule)
    except ValueError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="RULE") from None
    created = rules.add(body)
    if as_json:
        return print_json(FaultSchema(), rules.as_json(created))
    print_rules([rules.as_json(created)])


@faults_group.command("show")
@click.argument("rule_id", type=click.IntRange(1))
@json_option
def show_fault(rule_id: int, as_json: bool) -> None:
    """One rule."""
    found = rules.as_json(rules.get(rule_id))
    if as_json:
        return print_json(FaultSchema(), found)
    print_rules([found])


@faults_group.command("delete")
@click.argument("rule_id", type=click.IntRange(1))
def delete_fault(rule_id: int) -> None:
    """Remove one rule."""
    rules.remove(rule_id)
    click.echo(f"removed fault rule {rule_id}")


@faults_group.command("clear")
@click.option("-t", "--tenant", metavar="VENDOR/NAME", help="only the rules scoped to this tenant")
def clear_faults(tenant: str | None) -> None:
    """Remove every rule (or one tenant's)."""
    click.echo(f"removed {rules.clear(tenant)} fault rule(s)")


def print_run(run: dict[str, Any]) -> None:
    print_fields(
        [
            ("run", run["id"]),
            ("scenario", f"{run['scenario']} (version {run['version']})"),
            ("scope", run["tenant"] or "every tenant"),
            ("state", run["state"] + (f", step {run['step']} of {len(run['steps'])}" if run["step"] else "")),
            ("elapsed", f"{run['elapsed_seconds']} s"),
        ]
    )
    print_rules(run["rules"])


@emulator.group("scenarios")
def scenarios_group() -> None:
    """List, start, follow and stop the shipped fault scenarios."""


@scenarios_group.command("list")
@json_option
def list_scenarios(as_json: bool) -> None:
    """The scenarios in fixtures/scenarios/."""
    found = scenarios.available()
    if as_json:
        return print_json(ScenarioListSchema(), {"scenarios": found})
    print_table(
        found,
        [
            ("NAME", lambda s: s["name"]),
            ("VERSION", lambda s: s.get("version")),
            ("STEPS", lambda s: len(s["steps"])),
            ("DESCRIPTION", lambda s: s.get("description")),
        ],
    )


@scenarios_group.command("start")
@click.argument("name")
@click.option("-t", "--tenant", metavar="VENDOR/NAME", help="play it on this tenant")
@click.option("--vendor", help="play it on every tenant of this vendor")
@click.option("--time-scale", type=float, help="play faster (0.1: a 30 s step lasts 3 s)")
@json_option
def start_scenario(
    name: str, tenant: str | None, vendor: str | None, time_scale: float | None, as_json: bool
) -> None:
    """Start a scenario (for every tenant unless scoped)."""
    scope: dict[str, Any] = {k: v for k, v in (("tenant", tenant), ("vendor", vendor)) if v}
    if time_scale is not None:
        scope["time_scale"] = time_scale
    run = scenarios.status(scenarios.start(name, scope))
    if as_json:
        return print_json(ScenarioRunSchema(), run)
    print_run(run)


@scenarios_group.command("status")
@click.argument("run_id", type=click.IntRange(1))
@json_option
def scenario_status(run_id: int, as_json: bool) -> None:
    """Where a run is: its step and what its rules did."""
    run = scenarios.status(scenarios.get(run_id))
    if as_json:
        return print_json(ScenarioRunSchema(), run)
    print_run(run)


@scenarios_group.command("stop")
@click.argument("run_id", type=click.IntRange(1))
@json_option
def stop_scenario(run_id: int, as_json: bool) -> None:
    """Stop a run: its rules are disabled, their counters stay."""
    run = scenarios.status(scenarios.stop(scenarios.get(run_id)))
    if as_json:
        return print_json(ScenarioRunSchema(), run)
    print_run(run)

"""``flask emulator ...``: the control plane from a terminal, over the same services.

On the local database by default; with ``--url`` (``EMULATOR_URL``) over HTTP to a running
emulator's control plane (``EMULATOR_ADMIN_TOKEN`` sent as its bearer token). Either way the
commands go through one ``ControlClient`` (emulator/control_client.py) answering the control
plane's JSON, so tables for people, ``--json`` for scripts and the one ``Error: ...`` line
(exit status 1) are the same in both.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click
import yaml
from flask import current_app
from flask.cli import AppGroup

from . import fixtures, tenants
from .control_client import ControlClient, LocalEmulator, RemoteEmulator, Unreachable
from .errors import ScimError

Column = tuple[str, Callable[[dict[str, Any]], Any]]


class EmulatorGroup(AppGroup):
    """The ``emulator`` group: a ScimError (local or over HTTP) becomes one clear line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ScimError as error:
            raise click.ClickException(error.detail) from None
        except Unreachable as error:
            raise click.ClickException(str(error)) from None


@click.group("emulator", cls=EmulatorGroup)
@click.option(
    "--url",
    metavar="URL",
    envvar="EMULATOR_URL",
    help="a running emulator to drive over HTTP, e.g. http://localhost:8000 [EMULATOR_URL; "
    "unset: the local database]; EMULATOR_ADMIN_TOKEN is sent as its bearer token",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="where clients reach the emulator, for the URLs shown on the local database "
    "[EMULATOR_PUBLIC_URL, http://localhost:8000/]",
)
@click.pass_context
def emulator(ctx: click.Context, url: str | None, base_url: str | None) -> None:
    """Manage the SCIM emulator: tenants, credentials, journal, seed data, faults and scenarios."""
    if url and base_url:
        raise click.UsageError(
            "--base-url is for the local database; over --url the emulator shows its own URLs"
        )
    ctx.meta["emulator.base_url"] = base_url
    ctx.meta["emulator.control"] = chosen_control(url)


def chosen_control(url: str | None) -> ControlClient:
    """Over HTTP to the emulator at ``url`` (with EMULATOR_ADMIN_TOKEN), or on the local database."""
    if url:
        return RemoteEmulator(url, os.environ.get("EMULATOR_ADMIN_TOKEN"))
    return LocalEmulator(base_url=shown_base_url)


def control() -> ControlClient:
    """The emulator this invocation drives: chosen once by the group from --url (or, for a
    subcommand mounted under another root group, from EMULATOR_URL)."""
    meta = click.get_current_context().meta
    if "emulator.control" not in meta:
        meta["emulator.control"] = chosen_control(os.environ.get("EMULATOR_URL"))
    chosen: ControlClient = meta["emulator.control"]
    return chosen


# -- output ---------------------------------------------------------------------------------


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="print JSON (the control plane's shape)")(
        command
    )


def print_json(body: Any) -> None:
    """A control-plane answer as the API sends it (the client already shaped it by its schema)."""
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


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


def shown_base_url() -> str:
    """The root of the URLs shown on the local database: --base-url, EMULATOR_PUBLIC_URL or localhost."""
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
        listed = control().vendors()
        if as_json:
            return print_json(listed)
        return print_table(
            listed["vendors"],
            [
                ("VENDOR", lambda p: p["vendor"]),
                ("AUTH", lambda p: ", ".join(a["type"] for a in p["auth"])),
                ("RESOURCES", lambda p: ", ".join(p["resource_types"])),
                ("TITLE", lambda p: p["title"]),
            ],
        )
    profile = control().vendor(vendor)
    if as_json:
        return print_json(profile)
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
    found = control().fixtures()
    if as_json:
        return print_json(found)
    print_table(
        found["fixtures"],
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


def key_text(tenant: tuple[str, str]) -> str:
    return f"{tenant[0]}/{tenant[1]}"


@tenants_group.command("list")
@json_option
def list_tenants(as_json: bool = False) -> None:
    """List tenants with their URLs."""
    listed = control().list_tenants()
    if as_json:
        return print_json(listed)
    print_table(listed["tenants"], TENANT_COLUMNS, empty="no tenants")


def print_tenant(body: dict[str, Any]) -> None:
    # the vendor's defaults are its profile's, code both sides share: no round trip needed
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
    body = control().create_tenant(
        {
            "vendor": vendor,
            "name": name,
            "options": settings_of(options, "--option"),
            "credentials": settings_of(given, "--credential") or None,
        }
    )
    if as_json:
        return print_json(body)
    print_tenant(body)
    click.echo("\nCredentials")
    print_issued(body["credentials"])


@tenants_group.command("show")
@tenant_argument
@json_option
def show_tenant(tenant: tuple[str, str], as_json: bool) -> None:
    """Show a tenant: its URLs, counts, options and credential states."""
    body = control().show_tenant(*tenant)
    if as_json:
        return print_json(body)
    print_tenant(body)
    click.echo("\nCredentials")
    print_credential_states(body)


@tenants_group.command("delete")
@tenant_argument
@click.option("-y", "--yes", is_flag=True, help="do not ask")
def delete_tenant(tenant: tuple[str, str], yes: bool) -> None:
    """Delete a tenant with its users, groups, credentials and journal."""
    if not yes:
        control().show_tenant(*tenant)  # a missing tenant is said before asking
        click.confirm(f"Delete {key_text(tenant)} and everything it holds?", abort=True)
    control().delete_tenant(*tenant)
    click.echo(f"deleted {key_text(tenant)}")


@tenants_group.command("reset")
@tenant_argument
@json_option
def reset_tenant(tenant: tuple[str, str], as_json: bool) -> None:
    """Empty a tenant's users, groups and journal; keep its credentials."""
    body = control().reset_tenant(*tenant)
    if as_json:
        return print_json(body)
    click.echo(f"reset {key_text(tenant)}: users, groups and journal emptied; credentials kept")


# a seed request's refusals in this command's words (the rule itself is SeedRequestSchema's)
SEED_USAGE = {
    fixtures.SeedRequestSchema.NEITHER: "give --fixture NAME, or --users N (and --groups M)",
    fixtures.SeedRequestSchema.BOTH: "give either --fixture or --users/--groups, not both",
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
    try:
        # on the local database the bar advances batch by batch; over HTTP the server seeds in
        # one request and no bar is drawn
        with progress_bar(f"seeding {key_text(tenant)}") as progress:
            result = control().seed_tenant(*tenant, request, progress)
    except ScimError as refusal:
        usage = [
            text for rule, text in SEED_USAGE.items() if refusal.status == 400 and rule in refusal.detail
        ]
        if usage:
            raise click.UsageError(usage[0]) from None
        raise
    if as_json:
        return print_json(result)
    seeded = result["seeded"]
    line = f"seeded {key_text(tenant)}: {seeded['users']} users, {seeded['groups']} groups"
    if seeded["skipped_groups"]:
        line += f" ({seeded['skipped_groups']} groups skipped: {tenant[0]} tenants have no groups)"
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
    listing = control().list_credentials(*tenant)
    if as_json:
        return print_json(listing)
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
    shown = control().issue_credential(*tenant, {**settings, "rotate": rotate})
    if as_json:
        return print_json(shown)
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
    state = control().expire_credential(*tenant, credential_id)
    if as_json:
        return print_json(state)
    click.echo(f"credential {credential_id} of {key_text(tenant)}: {state['state']}")


@credentials_group.command("revoke")
@tenant_argument
@click.argument("credential_id", type=int, metavar="ID")
@json_option
def revoke_credential(tenant: tuple[str, str], credential_id: int, as_json: bool) -> None:
    """Revoke a credential now."""
    state = control().revoke_credential(*tenant, credential_id)
    if as_json:
        return print_json(state)
    click.echo(f"credential {credential_id} of {key_text(tenant)}: {state['state']}")


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
    filters = {"method": method, "path": path, "status": status, "since": since}
    page = control().read_journal(*tenant, {**filters, "limit": lines})
    if as_json and not follow:
        return print_json(page)
    show_entries(list(reversed(page["entries"])), as_json, header=True)
    bound = page["bound"]
    if not bound["complete"] and not as_json:
        click.echo(
            f"(journal trimmed: {bound['dropped']} oldest entries dropped; it keeps {bound['max_entries']})"
        )
    if follow:
        newest = page["entries"][0]["id"] if page["entries"] else 0
        follow_journal(tenant, newest, filters, interval, as_json)


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
    tenant: tuple[str, str], last: int, filters: dict[str, Any], interval: float, as_json: bool
) -> None:
    """Poll for entries newer than ``last`` (the control plane's ``after``) until interrupted."""
    try:
        while True:
            time.sleep(interval)
            fresh = control().read_journal(*tenant, {**filters, "after": last})["entries"]
            if fresh:
                last = fresh[0]["id"]
                show_entries(list(reversed(fresh)), as_json, header=False)
    except KeyboardInterrupt:
        pass


@journal_group.command("clear")
@tenant_argument
def clear_journal(tenant: tuple[str, str]) -> None:
    """Empty a tenant's journal."""
    control().clear_journal(*tenant)
    click.echo(f"cleared the journal of {key_text(tenant)}")


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
    found = control().list_faults(tenant)
    if as_json:
        return print_json(found)
    print_rules(found["faults"])


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
    created = control().add_fault(body)
    if as_json:
        return print_json(created)
    print_rules([created])


@faults_group.command("show")
@click.argument("rule_id", type=click.IntRange(1))
@json_option
def show_fault(rule_id: int, as_json: bool) -> None:
    """One rule."""
    found = control().show_fault(rule_id)
    if as_json:
        return print_json(found)
    print_rules([found])


@faults_group.command("delete")
@click.argument("rule_id", type=click.IntRange(1))
def delete_fault(rule_id: int) -> None:
    """Remove one rule."""
    control().delete_fault(rule_id)
    click.echo(f"removed fault rule {rule_id}")


@faults_group.command("clear")
@click.option("-t", "--tenant", metavar="VENDOR/NAME", help="only the rules scoped to this tenant")
def clear_faults(tenant: str | None) -> None:
    """Remove every rule (or one tenant's)."""
    click.echo(f"removed {control().clear_faults(tenant)['removed']} fault rule(s)")


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
    found = control().list_scenarios()
    if as_json:
        return print_json(found)
    print_table(
        found["scenarios"],
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
    run = control().start_scenario(name, scope)
    if as_json:
        return print_json(run)
    print_run(run)


@scenarios_group.command("status")
@click.argument("run_id", type=click.IntRange(1))
@json_option
def scenario_status(run_id: int, as_json: bool) -> None:
    """Where a run is: its step and what its rules did."""
    run = control().scenario_run(run_id)
    if as_json:
        return print_json(run)
    print_run(run)


@scenarios_group.command("stop")
@click.argument("run_id", type=click.IntRange(1))
@json_option
def stop_scenario(run_id: int, as_json: bool) -> None:
    """Stop a run: its rules are disabled, their counters stay."""
    run = control().stop_scenario(run_id)
    if as_json:
        return print_json(run)
    print_run(run)

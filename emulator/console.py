"""``scim-emulator`` (and ``python -m emulator``): serve the emulator, or run ``flask emulator ...``, from anywhere.

``scim-emulator serve`` loads the start-up tenant files (the shipped ``tenants/*.yaml`` by
default), makes the credentials they name work again, prints each tenant's URLs and
credentials, then replaces itself with gunicorn serving ``emulator:create_app()`` with the
package's settings (emulator/gunicorn_conf.py). Every group of ``flask emulator`` is a group
here too (``scim-emulator tenants list``), with an app built by ``create_app()``: no checkout,
no ``app.py`` and no ``FLASK_APP`` needed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy.engine import make_url

from . import cli, create_app, database, tenants
from .config import settings, shipped_tenants, sqlalchemy_url
from .extensions import db

SHOWN_AS_LOCALHOST = (  # hosts the banner shows as localhost, so *.localhost subdomains resolve
    "127.0.0.1",
    "0.0.0.0",
    "localhost",
    "::",
    "::1",
    "",
)


@click.group("scim-emulator", cls=cli.EmulatorGroup, invoke_without_command=True)
@click.option(
    "--base-url",
    metavar="URL",
    help="where clients reach the emulator, for the URLs shown [EMULATOR_PUBLIC_URL, http://localhost:8000/]",
)
@click.pass_context
def main(ctx: click.Context, base_url: str | None) -> None:
    """The SCIM target emulator: `serve` it (the default), or manage its tenants, credentials, journal and faults."""
    ctx.meta["emulator.base_url"] = base_url  # read by cli.base_url, as the `emulator` group sets it
    if not isinstance(ctx.obj, ScriptInfo):  # Flask's test runner brings its own
        ctx.obj = ScriptInfo(create_app=create_app, set_debug_flag=False)
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


def add_emulator_commands(group: click.Group) -> None:
    """Every group and command of ``flask emulator`` (tenants, credentials, journal, ...), under ``group``."""
    for name, command in cli.emulator.commands.items():
        group.add_command(command, name)


add_emulator_commands(main)


@main.command(
    "serve",
    with_appcontext=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.option("--host", help="address to listen on [EMULATOR_HOST, 127.0.0.1]")
@click.option("--port", type=click.IntRange(0, 65535), help="port to listen on [PORT, 8000]")
@click.option(
    "--workers", type=click.IntRange(1), help="gunicorn workers [WEB_CONCURRENCY, 2 x cores + 1, at most 9]"
)
@click.option(
    "--database-url", metavar="URL", help="SQLite or PostgreSQL URL [DATABASE_URL, instance/emulator.db]"
)
@click.option(
    "--tenants",
    "tenants_dir",
    metavar="DIR",
    help="start-up tenant files, '' for none [EMULATOR_TENANTS_DIR, the shipped tenants]",
)
@click.option(
    "--base-domain",
    metavar="DOMAIN",
    help="tenants live at <name>.<vendor>.<domain> [EMULATOR_BASE_DOMAIN, localhost]",
)
@click.option(
    "--admin-token", metavar="TOKEN", help="bearer token the control plane needs [EMULATOR_ADMIN_TOKEN]"
)
@click.option(
    "--fresh", is_flag=True, help="start from an empty database (every tenant, user and journal entry gone)"
)
@click.argument("gunicorn_args", nargs=-1, type=click.UNPROCESSED, metavar="[GUNICORN OPTIONS]...")
def serve(
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    database_url: str | None = None,
    tenants_dir: str | None = None,
    base_domain: str | None = None,
    admin_token: str | None = None,
    fresh: bool = False,
    gunicorn_args: Sequence[str] = (),
) -> None:
    """Create the start-up tenants, print their URLs and credentials, then serve with gunicorn.

    Options left out come from the environment variable named in brackets. GUNICORN_BIND, when
    set, is where gunicorn listens unless --host or --port is given. Options it does not know go
    to gunicorn (e.g. --threads 4).
    """
    bind, root = listening(host, port)
    configure(
        DATABASE_URL=database_url,
        EMULATOR_TENANTS_DIR=str(Path(tenants_dir).resolve()) if tenants_dir else tenants_dir,
        EMULATOR_BASE_DOMAIN=base_domain,
        EMULATOR_ADMIN_TOKEN=admin_token,
        EMULATOR_PUBLIC_URL=os.environ.get("EMULATOR_PUBLIC_URL") or root,
    )
    directory = os.environ.get("EMULATOR_TENANTS_DIR", str(shipped_tenants()))
    emptied = empty_database() if fresh else None
    app = create_app({"EMULATOR_TENANTS_DIR": ""})  # the files are loaded below, restoring credentials
    with app.app_context():
        loaded = tenants.load_files(directory, restore_credentials=True) if directory else []
        with app.test_request_context(base_url=root):
            print_banner(app, root, directory, loaded, emptied)
        db.engine.dispose()  # gunicorn's workers open their own
    command = [sys.executable, "-m", "gunicorn", "-c", "python:emulator.gunicorn_conf"]
    # the workers import this copy of the package, whatever the working directory holds
    command += ["--pythonpath", str(Path(__file__).resolve().parent.parent), "--bind", bind]
    if workers is not None:
        command += ["--workers", str(workers)]
    os.execv(sys.executable, [*command, *gunicorn_args, "emulator:create_app()"])


def listening(host: str | None, port: int | None) -> tuple[str, str]:
    """gunicorn's bind and the root URL the banner shows: options, then GUNICORN_BIND, then EMULATOR_HOST and PORT."""
    bind = os.environ.get("GUNICORN_BIND", "").strip()
    if host is None and port is None and bind:
        address, _, port_text = bind.rpartition(":")
        shown = "localhost" if address.strip("[]") in SHOWN_AS_LOCALHOST else address
        return bind, f"http://{shown}:{port_text}/"
    host = host if host is not None else os.environ.get("EMULATOR_HOST", "127.0.0.1")
    port = port if port is not None else int(os.environ.get("PORT") or 8000)
    address = f"[{host}]" if ":" in host else host
    shown = "localhost" if host in SHOWN_AS_LOCALHOST else address
    return f"{address}:{port}", f"http://{shown}:{port}/"


def configure(**values: str | None) -> None:
    """Settings given as options, into the environment gunicorn's workers inherit."""
    for name, value in values.items():
        if value is not None:
            os.environ[name] = value


def print_banner(
    app: Flask, root: str, directory: str, loaded: list[tenants.StartupTenant], emptied: str | None
) -> None:
    """Each start-up tenant's URLs and working credentials, and what start-up changed."""
    shown_url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    click.echo(f"SCIM target emulator on {root} (control plane {root}_emulator/, database {shown_url})")
    if emptied:
        click.echo(f"fresh start: {emptied}")
    click.echo(f"start-up tenants: {directory}" if directory else "start-up tenants: none")
    for startup in loaded:
        urls = tenants.urls(startup.tenant, root)
        click.echo(f"\n  {startup.tenant.key}")
        click.echo(f"    scim_url         {urls['scim_url']}")
        click.echo(f"    alias_url        {urls['alias_url']}")
        for name, value in (startup.credentials or {}).items():
            click.echo(f"    {name:<16} {value}")
        for note in startup.notes:
            click.echo(f"    note             {note}")
    sys.stdout.flush()


def empty_database() -> str:
    """Empty the database the server is about to use; says what was done, for the banner.

    SQLite: the file and its side files (-wal, -shm, -journal, journal spools) are removed while
    holding the locks the emulator's workers take to create the schema and to write. PostgreSQL:
    the emulator's tables are dropped (and recreated when the app starts).
    """
    url = settings(Flask("emulator").instance_path)["DATABASE_URL"]
    parsed = make_url(sqlalchemy_url(url))
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return "an in-memory database starts empty"
        path = Path(parsed.database).resolve()
        removed = remove_sqlite(path)
        return f"removed {', '.join(p.name for p in removed)}" if removed else f"no database at {path} yet"
    app = create_app({"EMULATOR_TENANTS_DIR": ""})
    with app.app_context():
        with database.schema_lock(app):
            db.drop_all()
        db.engine.dispose()
    return "dropped the emulator's tables"


def remove_sqlite(path: Path) -> list[Path]:
    """Remove a SQLite database file and its side files under the schema and writer locks."""
    if not path.parent.is_dir():
        return []
    removed = []
    with flocked(Path(f"{path}.schema-lock")), flocked(Path(f"{path}.writer-lock")):
        sides = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal")]
        for side in [path, *sides, *sorted(path.parent.glob(f"{path.name}.spool.*"))]:
            with contextlib.suppress(FileNotFoundError):
                side.unlink()
                removed.append(side)
    return removed


@contextlib.contextmanager
def flocked(path: Path) -> Iterator[Any]:
    """An exclusive ``flock`` on ``path`` (the emulator's lock files are never removed)."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

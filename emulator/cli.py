"""``flask emulator ...``: the control plane from a terminal."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from . import tenants
from .errors import ScimError

emulator = AppGroup("emulator", help="Manage the SCIM emulator's tenants.")


def root_url() -> str:
    return current_app.config.get("EMULATOR_PUBLIC_URL", "http://localhost:8000/")


@emulator.command("tenants")
@click.option("--json", "as_json", is_flag=True, help="print JSON for scripts")
def list_tenants(as_json: bool) -> None:
    """List tenants with their URLs."""
    described = [tenants.describe(t, root_url()) for t in tenants.list_all()]
    if as_json:
        click.echo(json.dumps(described, indent=2))
        return
    for t in described:
        click.echo(f"{t['vendor'] + '/' + t['name']:<24} {t['scim_url']:<48} {t['alias_url']}")


@emulator.command("create")
@click.argument("vendor")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
def create_tenant(vendor: str, name: str, as_json: bool) -> None:
    """Create a tenant and print its credentials (shown this once)."""
    try:
        tenant, shown = tenants.create(vendor, name)
    except ScimError as error:
        raise click.ClickException(error.detail) from None
    body = tenants.describe(tenant, root_url())
    body["credentials"] = shown
    click.echo(
        json.dumps(body, indent=2)
        if as_json
        else f"{tenant.key}  {body['alias_url']}  {shown['authorization']}"
    )

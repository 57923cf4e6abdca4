"""A mock multi-tenant SaaS target emulator for SCIM provisioning."""

from __future__ import annotations

from typing import Any

from flask import Flask

from . import database, faults, journal
from .bodies import BoundedRequest, StrictJSONProvider
from .config import settings
from .errors import register_error_handlers
from .request_flow import Emulator
from .routing import RowId, TenantDispatcher


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the emulator: settings, database, blueprints, error handlers, start-up tenants."""
    app = Emulator(__name__, instance_relative_config=True)  # requests go through request_flow.serve
    app.config.from_mapping(settings(app.instance_path, test_config))
    app.request_class = BoundedRequest  # a streamed body past the limit is a 413, not cut short
    app.json = StrictJSONProvider(app)  # request.get_json: strict JSON (400, never 500)
    app.json.sort_keys = False  # type: ignore[attr-defined]  (schemas, id, ... as written)
    app.url_map.converters["int"] = RowId  # before any route: an id past 2**31-1 is a 404
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    register_tenant_routing(app)
    load_startup_tenants(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the database and create its schema; choose the journal's writer; close dropped connections."""
    database.init_app(app)
    journal.init_app(app)
    faults.init_app(app)


def register_blueprints(app: Flask) -> None:
    """The SCIM surface of every tenant, its OAuth endpoints, the control plane and the dashboard."""
    from .auth.oauth import bp as oauth
    from .control import bp as control
    from .dashboard import bp as dashboard
    from .scim.views import bp as scim

    app.register_blueprint(scim)
    app.register_blueprint(oauth)
    app.register_blueprint(control)
    app.register_blueprint(dashboard)


def register_commands(app: Flask) -> None:
    """``flask emulator ...``."""
    from .cli import emulator

    app.cli.add_command(emulator)


def register_tenant_routing(app: Flask) -> None:
    """Resolve the addressed tenant from the Host or the /t/ alias before routing."""
    app.wsgi_app = TenantDispatcher(app.wsgi_app, lambda: app.config["EMULATOR_BASE_DOMAIN"])  # type: ignore[method-assign]


def load_startup_tenants(app: Flask) -> None:
    """Create the tenants of ``tenants/*.yaml`` (skipped when the directory is set to empty)."""
    directory = app.config["EMULATOR_TENANTS_DIR"]
    if not directory:
        return
    from . import tenants

    with app.app_context():
        tenants.load_files(directory)

"""``python -m emulator``: create the shipped tenants, print how to reach them, then serve with gunicorn."""

from __future__ import annotations

import os
import shutil
import sys

from . import create_app, tenants


def main() -> None:
    """Print the start-up tenants' URLs and credentials, then exec gunicorn on app:app."""
    port = os.environ.get("PORT", "8000")
    root = f"http://localhost:{port}/"
    app = create_app()
    with app.test_request_context(base_url=root):
        rows = [
            (tenant, tenants.urls(tenant, root), shown)
            for tenant, shown in tenants.load_files(app.config["EMULATOR_TENANTS_DIR"] or os.devnull)
        ]
    print(
        f"SCIM target emulator on {root} (control plane {root}_emulator/, database {app.config['DATABASE_URL']})"
    )
    for tenant, urls, shown in rows:
        print(f"\n  {tenant.key}")
        print(f"    scim_url         {urls['scim_url']}")
        print(f"    alias_url        {urls['alias_url']}")
        for name, value in (shown or {}).items():
            print(f"    {name:<16} {value}")
    sys.stdout.flush()
    gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or "gunicorn"
    config = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gunicorn.conf.py")
    os.execv(gunicorn, [gunicorn, "-c", config, "--bind", f"0.0.0.0:{port}", "app:app"])


if __name__ == "__main__":
    main()

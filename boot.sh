#!/bin/sh
# Container entry: wait until the database answers, then exec the console script's `serve`
# (banner, start-up tenants, then gunicorn with emulator/gunicorn_conf.py), listening on
# 0.0.0.0:$PORT unless EMULATOR_HOST or GUNICORN_BIND say otherwise.
# Extra arguments go to `serve`, and those it does not know to gunicorn, e.g. `./boot.sh --workers 2`.
set -e

python - <<'PY'
import os
import sys
import time

from sqlalchemy import create_engine, text

from emulator.config import sqlalchemy_url

url = os.environ.get("DATABASE_URL", "")
if url and not url.startswith("sqlite"):
    engine = create_engine(sqlalchemy_url(url))
    deadline = time.monotonic() + float(os.environ.get("EMULATOR_DATABASE_WAIT", "60"))
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            break
        except Exception as error:  # any failure means "not yet"
            if time.monotonic() > deadline:
                sys.exit(f"boot.sh: the database never answered: {error}")
            print("boot.sh: waiting for the database ...", file=sys.stderr, flush=True)
            time.sleep(1)
    engine.dispose()
PY

export EMULATOR_HOST="${EMULATOR_HOST:-0.0.0.0}"
exec python -m emulator serve "$@"

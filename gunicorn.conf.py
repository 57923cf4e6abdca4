"""The package's gunicorn settings (emulator/gunicorn_conf.py), for ``gunicorn -c gunicorn.conf.py`` in a checkout."""

from emulator.gunicorn_conf import *  # noqa: F403

"""Gunicorn settings, shipped in the package: ``gunicorn -c python:emulator.gunicorn_conf 'emulator:create_app()'``.

``scim-emulator serve`` runs gunicorn with them; every value is overridable by the
environment, and command-line flags win over them, so ``--bind 127.0.0.1:8000 --workers 2``
still works. All state is in the database, so any number of workers act as one emulator.
"""

from __future__ import annotations

import multiprocessing
import os

__all__ = [  # what ``from emulator.gunicorn_conf import *`` (the checkout's gunicorn.conf.py) takes
    "bind",
    "workers",
    "worker_class",
    "threads",
    "timeout",
    "graceful_timeout",
    "keepalive",
    "accesslog",
    "errorlog",
    "loglevel",
    "access_log_format",
    "preload_app",
    "forwarded_allow_ips",
    "control_socket_disable",
]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# 0.0.0.0 inside a container; a laptop run passes --bind 127.0.0.1:8000 (or sets GUNICORN_BIND)
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"

# CPU-bound work is small (JSON, SQL); the usual 2 x cores + 1, capped for laptops and CI boxes
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 9))

# gthread: each worker serves several requests on threads. A `latency` or `timeout` fault holds
# its request by sleeping on one thread while the worker's other threads keep serving; with the
# default sync class one held request would block the whole worker. gthread needs no extra
# dependency (gevent/eventlet would) and keeps ordinary blocking SQLAlchemy code correct.
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 8)

# a `timeout` fault may hold a request for minutes; gthread workers heartbeat from their main
# thread, so this bounds a stuck worker, not a slow request
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# logs to stdout/stderr, where docker and CI collect them
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms host=%({host}i)s'

# the app is built in each worker (no preload): no engine or socket is shared across a fork,
# and the schema and start-up tenants are created under a lock (emulator/database.py)
preload_app = False
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl, one path for every server of a
# user: two emulators (or an emulator and another app) would take it from each other. Unused
# here; older gunicorns ignore the name.
control_socket_disable = True

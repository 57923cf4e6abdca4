"""The WSGI entry point: ``gunicorn app:app`` and ``flask run`` both find it here."""

from emulator import create_app

app = create_app()

"""Fixtures for the dashboard: apps with their own settings, and forms posted as a browser posts them."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from emulator import create_app
from emulator.extensions import db

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def build_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """``build_app(**settings)``: an emulator on this test's database with extra settings."""
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        app = create_app(
            {"TESTING": True, "DATABASE_URL": database_url, "EMULATOR_TENANTS_DIR": "", **settings}
        )
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()


def csrf_of(page: TestResponse) -> str:
    """The CSRF token a rendered page carries in its forms."""
    match = CSRF_FIELD.search(page.get_data(as_text=True))
    assert match, f"the page has no form with a CSRF token: {page.status}"
    return match.group(1)


def submit(
    client: FlaskClient, path: str, form: dict[str, Any] | None = None, page: str = "/"
) -> TestResponse:
    """POST a dashboard form as a browser does: with the CSRF token of a page it loaded first."""
    token = csrf_of(client.get(page))
    return client.post(path, data={"csrf": token, **(form or {})})


def text(response: TestResponse) -> str:
    """A page's text with tags dropped and whitespace folded, to assert on what a reader sees."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())

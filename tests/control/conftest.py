"""Fixtures for the control plane: apps built with their own settings on a test's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from emulator import create_app
from emulator.extensions import db


@pytest.fixture
def build_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """``build_app(**settings)``: an emulator on this test's database with extra settings."""
    built: list[Flask] = []

    def build(**settings: Any) -> Flask:
        config = {"TESTING": True, "DATABASE_URL": database_url, "EMULATOR_TENANTS_DIR": "", **settings}
        app = create_app(config)
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()

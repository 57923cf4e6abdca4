"""What every operation's input schema shares: closed bodies, refused as one 400.

Each service keeps its input schema beside it and loads it itself (``tenants.create``,
``credentials.issue``, ``fixtures.seed``, ...), so the control plane, the CLI and the dashboard,
which pass raw mappings, are refused alike; ``control/schemas.py`` documents them.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError

from .errors import ScimError


class Closed(Schema):
    """A body whose keys are exactly those declared."""

    class Meta:
        unknown = RAISE


class Refused(ScimError):
    """Input its schema refused: a 400 naming what is wrong, with marshmallow's ``messages``."""

    def __init__(self, messages: dict[str, Any]) -> None:
        super().__init__(400, f"invalid request: {messages}", "invalidValue")
        self.messages = messages


class Input(Closed):
    """An operation's input, loaded by the service that runs it: ``load`` refuses with ``Refused``."""

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        raise Refused(error.normalized_messages())

"""Time as the emulator keeps and shows it: naive UTC in the database, ISO 8601 in UTC on the wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def utcnow() -> datetime:
    """Naive UTC now: what both SQLite and PostgreSQL store the same way."""
    return datetime.now(UTC).replace(tzinfo=None)


def shown(moment: datetime | None, to: str = "milliseconds") -> str | None:
    """A stored time as answers show it: ``2026-12-04T18:43:59.123Z``, in UTC, to the millisecond;
    credentials' lifecycle ``to="seconds"`` (lifetimes are whole seconds or days, so a credential's
    creation and the expiry counted from it show the same fraction: none)."""
    return None if moment is None else moment.isoformat(timespec=to) + "Z"


def from_iso(text: str) -> datetime:
    """An ISO 8601 time a client sent (``Z``, an offset, or none: UTC) as naive UTC; ValueError if not one."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=None) - (moment.utcoffset() or timedelta())

"""docs/errors.md is a contract: each row of its catalogue is sent as a request and must get its answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import GROUP, PATCH_OP, USER, ScimTenant, assert_scim_error

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
MIB = 1024 * 1024
TEXT_PLACEHOLDERS = {
    "$USER": USER,
    "$GROUP": GROUP,
    "$PATCH": PATCH_OP,
    "$BIG": "x" * (MIB + 1),
    "$LONGDIGITS": "0" * 5000,
    "$LONG": "x" * 5000,
    "$DEEP": "[" * 1000 + "]" * 1000,
    "$LONGFILTER": 'userName eq "' + "x" * 9990 + '"',
    "$MANYOR": " or ".join(['userName eq "a"'] * 202),
    "$NESTED": "not (" * 60 + 'userName eq "a"' + ")" * 60,
}
BYTE_PLACEHOLDERS = {b"$LATIN1": b"\xe9", b"$BOM": b"\xef\xbb\xbf"}


@dataclass(frozen=True)
class Row:
    """One row of the catalogue."""

    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    status: int
    scim_type: str | None
    detail: str | None


def code(cell: str) -> str | None:
    """The text of a cell's code span (taken as written: no markdown escapes inside), or None."""
    cell = cell.strip()
    if not cell:
        return None
    assert cell.startswith("`") and cell.endswith("`"), cell
    return cell[1:-1]


def rows() -> list[Row]:
    text = CATALOGUE.read_text()
    table = text.split("<!-- catalogue: begin -->", 1)[1].split("<!-- catalogue: end -->", 1)[0]
    found = []
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip()[1:-1].split("|")]  # no cell holds a "|"
        assert len(cells) == 7, line
        kind, request, headers, body, status, scim_type, detail = cells
        method, _, path = (code(request) or "").partition(" ")
        pairs = [h.split(": ", 1) for h in (code(headers) or "").split("; ") if h]
        found.append(
            Row(kind, method, path, dict(pairs), code(body), int(status), scim_type or None, detail or None)
        )
    return found


ROWS = rows()


def expand(text: str) -> str:
    for name in sorted(TEXT_PLACEHOLDERS, key=len, reverse=True):  # $LONGDIGITS before $LONG
        text = text.replace(name, TEXT_PLACEHOLDERS[name])
    return text


def test_the_catalogue_covers_every_class_of_bad_input() -> None:
    kinds = " ".join(row.kind.lower() for row in ROWS)
    for wanted in (
        "malformed json",
        "content type",
        "huge body",
        "deep nesting",
        "unicode",
        "invalid filter",
        "patch path",
        "wrong type",
        "schemas",
        "credential",
    ):
        assert wanted in kinds, wanted
    assert len({row.kind for row in ROWS}) == len(ROWS), "each row names its own class"


@pytest.mark.parametrize("row", ROWS, ids=[row.kind for row in ROWS])
def test_catalogue_row(row: Row, tenant: ScimTenant, client: FlaskClient) -> None:
    alice = tenant.create_user("alice")
    team = tenant.create_group("Team")
    ids = {"$ALICE": alice["id"], "$TEAM": team["id"]}

    def expand_ids(text: str) -> str:
        for name, value in ids.items():
            text = text.replace(name, value)
        return text

    path = expand_ids(expand(row.path))
    headers: dict[str, Any] = {"Content-Type": "application/scim+json"}
    if not path.startswith("/_emulator"):
        path = tenant.base + path
        headers["Authorization"] = tenant.authorization
    for name, value in row.headers.items():
        if value == "none":
            headers.pop(name, None)
        else:
            headers[name] = value
    data = expand_ids(expand(row.body)).encode() if row.body is not None else b""
    for placeholder, raw in BYTE_PLACEHOLDERS.items():
        data = data.replace(placeholder, raw)
    response = client.open(path, method=row.method, data=data, headers=headers)
    if row.status < 400:
        assert response.status_code == row.status, response.get_data(as_text=True)
        return
    body = assert_scim_error(response, row.status)
    assert body.get("scimType") == row.scim_type, body
    if row.detail:
        assert row.detail.lower() in body["detail"].lower(), body["detail"]

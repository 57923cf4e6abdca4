"""Control-plane routes for a tenant's request journal."""

from __future__ import annotations

from flask import Response, request

from .. import journal, tenants
from ..errors import bad_request
from .schemas import JournalPageSchema, VerifyResultSchema
from .views import bp, dumped, request_object


def count_arg(name: str) -> int | None:
    """A non-negative integer query parameter (``limit``, ``after``), or None when absent."""
    value = request.args.get(name)
    if value is None:
        return None
    if not value.isdigit():
        raise bad_request(f"{name} must be a non-negative integer")
    return int(value)


@bp.get("/tenants/<vendor>/<name>/journal")
def read_journal(vendor: str, name: str) -> Response:
    """Entries newest first, with the journal's bound; filters: method, path, status, since, after, limit.
    ---
    get:
      summary: Read the journal
      parameters:
      - in: query
        schema: JournalQuerySchema
      responses:
        200:
          content:
            application/json:
              schema: JournalPageSchema
        400: Error
        404: Error
    """
    page = journal.read().page(
        tenants.get(vendor, name),
        method=request.args.get("method"),
        path=request.args.get("path"),
        status=request.args.get("status"),
        since=request.args.get("since"),
        limit=count_arg("limit"),
        after=count_arg("after"),
    )
    return dumped(JournalPageSchema(), page)


@bp.delete("/tenants/<vendor>/<name>/journal")
def clear_journal(vendor: str, name: str) -> Response:
    """Empty the journal (its dropped count too).
    ---
    delete:
      summary: Clear the journal
      responses:
        204:
          description: cleared
        404: Error
    """
    journal.read().clear(tenants.get(vendor, name))
    return Response(status=204)


@bp.post("/tenants/<vendor>/<name>/journal/verify")
def verify_journal(vendor: str, name: str) -> Response:
    """Count requests matching method, path pattern and a JSON subset of the body; nearest entries on a mismatch.
    ---
    post:
      summary: Verify the journal
      requestBody:
        content:
          application/json:
            schema: VerifyRequestSchema
      responses:
        200:
          description: the count, and whether it is what was expected (ok false is still a 200)
          content:
            application/json:
              schema: VerifyResultSchema
        400: Error
        404: Error
    """
    spec = request_object(optional=True)
    return dumped(VerifyResultSchema(), journal.read().verify(tenants.get(vendor, name), spec))

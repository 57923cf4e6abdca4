"""The one place where failures become RFC 7644 §3.12 error bodies."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_CONTENT_TYPE = "application/scim+json"


class ScimError(Exception):
    """A failure a client should see, raised where the problem is found."""

    def __init__(
        self,
        status: int,
        detail: str,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


def bad_request(detail: str, scim_type: str = "invalidValue") -> ScimError:
    return ScimError(400, detail, scim_type)


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)


def conflict(detail: str) -> ScimError:
    return ScimError(409, detail, "uniqueness")


def scim_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialise a SCIM payload with the SCIM media type."""
    try:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a string: escaped, as JSON allows
        data = json.dumps(payload).encode("ascii")
    response = Response(data, status=status, mimetype=SCIM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: ScimError) -> Response:
    return scim_response(error.body(), error.status, error.headers)


def register_error_handlers(app: Flask) -> None:
    """Every API failure, ours or werkzeug's, leaves as a SCIM error body."""

    @app.errorhandler(ScimError)
    def handle_scim_error(error: ScimError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException) -> Response:
        status = error.code or 500
        detail = error.description or error.name
        headers = {}
        if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        scim_type = None
        if status == 413:
            detail = "request body exceeds the configured maximum size"
        if status == 400:
            scim_type = "invalidSyntax"
        return error_response(ScimError(status, detail, scim_type, headers))

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error")
        return error_response(ScimError(500, f"internal error: {type(error).__name__}"))

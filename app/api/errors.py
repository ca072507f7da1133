"""Every error is JSON with a stable code and a message a person can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    code: str
    message: str
    errors: list[dict[str, Any]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": what} for status, what in (
        (400, "refused by the desk's checks or by the exchange (`code` says which)"),
        (401, "no valid API token"), (403, "the token's role does not allow this call"),
        (404, "no such pair or order"), (409, "refused: the kill switch is on"),
        (422, "the request is not valid: `errors` names each field"),
        (429, "over the token's rate: see Retry-After"),
        (500, "the desk failed to answer"), (504, "the engine did not answer in time"),
    )
}  # fmt: skip


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, **extra).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def field_problems(errors: list[Any]) -> list[dict[str, Any]]:
    """pydantic's errors as {field, problem}: `field` the dotted path in the body or query."""
    problems = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query")]
        problem = str(error.get("msg", "")).removeprefix("Value error, ")
        problems.append({"field": ".".join(location) or "body", "problem": problem})
    return problems


def invalid(problems: list[dict[str, Any]]) -> JSONResponse:
    named = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return error_response(422, "invalid", f"The request is not valid: {named}", errors=problems)


def install(api: FastAPI) -> None:
    @api.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid(field_problems(list(exc.errors())))

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API %s %s failed", request.method, request.url.path)
        return error_response(500, "internal", "The desk failed to answer; see its log.")

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return error_response(exc.status_code, code, str(exc.detail))

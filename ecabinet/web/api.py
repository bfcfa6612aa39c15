"""JSON API glue: the OpenAPI description of a route, body parsing with the same schema,
and serialisation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

from flask import Response, jsonify, request
from pydantic import BaseModel

from ecabinet.errors import Invalid
from ecabinet.validation import validate

P = ParamSpec("P")
R = TypeVar("R")

OPENAPI_ATTR = "_ecabinet_openapi"


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def api_doc(
    *,
    summary: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    many: bool = False,
    status: int = 200,
    multipart: dict[str, str] | None = None,
    query: type[BaseModel] | None = None,
    also: tuple[int, ...] = (),
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Attach the OpenAPI description; `parse_body` validates with the same schema. `also`:
    other success statuses answered with the same schema (202 while work is under way)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        setattr(
            view,
            OPENAPI_ATTR,
            {
                "summary": summary,
                "body": body,
                "response": response,
                "many": many,
                "status": status,
                "multipart": multipart,
                "query": query,
                "also": also,
            },
        )
        return view

    return decorate


M = TypeVar("M", bound=BaseModel)


def parse_body(schema: type[M]) -> M:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("Nội dung yêu cầu phải là một đối tượng JSON.", code="invalid_json")
    return validate(schema, data)


def to_json(value: BaseModel | Sequence[BaseModel] | dict[str, Any], status: int = 200) -> Response:
    if isinstance(value, BaseModel):
        payload: Any = value.model_dump(mode="json")
    elif isinstance(value, list | tuple):
        payload = [item.model_dump(mode="json") for item in value]
    else:
        payload = value
    response = jsonify(payload)
    response.status_code = status
    return response

"""The OpenAPI 3.1 document, assembled from the routes and the schemas they validate with."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel

from ecabinet import __version__
from ecabinet.auth.permissions import PERM_ATTR
from ecabinet.web import OPENAPI_ATTR

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _error_response() -> dict[str, Any]:
    return {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
    }


def build_openapi(app: Flask) -> dict[str, Any]:
    components: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "description": "Stable, machine-readable"},
                        "message": {"type": "string", "description": "For people, in Vietnamese"},
                        "field": {"type": "string"},
                    },
                }
            },
        }
    }
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/v1/") or rule.rule.endswith("openapi.json"):
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, OPENAPI_ATTR, None)
        if doc is None:
            continue
        path = _PARAM.sub(r"{\2}", rule.rule)
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer" if conv == "int" else "string"},
            }
            for conv, name in _PARAM.findall(rule.rule)
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_"),
                "summary": doc["summary"],
                "x-permission": str(getattr(view, PERM_ATTR, "")),
                "parameters": parameters,
                "responses": {},
            }
            status = str(doc["status"])
            if doc["response"] is not None:
                ref = _schema_ref(doc["response"], components)
                schema = {"type": "array", "items": ref} if doc["many"] else ref
                operation["responses"][status] = {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema}},
                }
            else:
                operation["responses"][status] = {"description": "OK"}
            for error_status in ("400", "401", "403", "404", "409", "422", "429"):
                operation["responses"][error_status] = _error_response()
            if doc["body"] is not None:
                ref = _schema_ref(doc["body"], components)
                if doc["multipart"]:
                    body_schema: dict[str, Any] = {
                        "allOf": [
                            ref,
                            {
                                "type": "object",
                                "required": list(doc["multipart"]),
                                "properties": {
                                    name: {"type": "string", "format": "binary", "description": d}
                                    for name, d in doc["multipart"].items()
                                },
                            },
                        ]
                    }
                    content = {"multipart/form-data": {"schema": body_schema}}
                else:
                    content = {"application/json": {"schema": ref}}
                operation["requestBody"] = {"required": True, "content": content}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ecabinet API",
            "version": __version__,
            "description": "Paperless meeting room API. Session-cookie writes need X-CSRFToken; "
            "bearer-token calls do not.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "ecabinet_session"},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
    }

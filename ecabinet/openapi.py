"""The OpenAPI 3.1 document, assembled from the routes and the schemas they validate with."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel

from ecabinet import __version__
from ecabinet.permissions import PERM_ATTR
from ecabinet.text import MAX_ID
from ecabinet.web import OPENAPI_ATTR

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"
# `<int:...>` ids start at 1, and the app's converter (BoundedInt) routes nothing past a
# PostgreSQL integer (ecabinet.text.MAX_ID).
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _schema_ref(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def _form_field(schema: dict[str, Any]) -> dict[str, Any]:
    """A form field cannot be null: a client leaves it out to mean "no value", and a part
    that reads `null` is text the server rejects. So `X | None` is documented as just X."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(options) != 1 or len(options) == len(schema["anyOf"]):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}
    return {**options[0], **rest}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """A query-string model as OpenAPI parameters, one per field (all optional)."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        if "$ref" in prop:  # an enum, inlined: parameters cannot point into $defs here
            prop = dict(definitions[prop.pop("$ref").rsplit("/", 1)[1]])
        if "anyOf" in prop:
            options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
            first = options[0] if options else {}
            if "$ref" in first:
                first = definitions[first["$ref"].rsplit("/", 1)[1]]
            prop.update(first)
        prop.pop("title", None)
        prop.pop("description", None)  # an enum's docstring, not this parameter's
        if prop.get("default", 0) is None:
            del prop["default"]
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": schema["properties"][name].get("title", name),
                "schema": prop,
            }
        )
    return parameters


def _multipart_schema(
    model: type[BaseModel], files: dict[str, str], components: dict[str, Any]
) -> dict[str, Any]:
    """One object: the model's fields plus the binary parts. Not an `allOf` of the two, which
    no body can satisfy when the model forbids extra properties (the file would be one)."""
    schema = model.model_json_schema(ref_template=REF)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    properties = {name: _form_field(sub) for name, sub in schema.get("properties", {}).items()}
    for name, description in files.items():
        properties[name] = {"type": "string", "format": "binary", "description": description}
    required = list(dict.fromkeys([*schema.get("required", []), *files]))
    return {
        **schema,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


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
                "schema": {**_ID} if conv == "int" else {"type": "string"},
            }
            for conv, name in _PARAM.findall(rule.rule)
        ]
        if doc.get("query") is not None:
            parameters += _query_parameters(doc["query"])
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation: dict[str, Any] = {
                "operationId": rule.endpoint.replace(".", "_"),
                "summary": doc["summary"],
                "x-permission": str(getattr(view, PERM_ATTR, "")),
                "parameters": parameters,
                "responses": {},
            }
            for status in (str(doc["status"]), *(str(s) for s in doc.get("also", ()))):
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
                content: dict[str, Any]
                if doc["multipart"]:
                    content = {
                        "multipart/form-data": {
                            "schema": _multipart_schema(doc["body"], doc["multipart"], components),
                            # Every upload route takes PDFs (documents.pdf checks the bytes).
                            "encoding": {
                                name: {"contentType": "application/pdf"}
                                for name in doc["multipart"]
                            },
                        }
                    }
                else:
                    content = {"application/json": {"schema": _schema_ref(doc["body"], components)}}
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

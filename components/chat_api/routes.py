"""The REST routes, read from the app's OpenAPI document, with request bodies as API Gateway models.

Routes come from app/openapi.yaml (the app keeps it true with a test), so the API cannot drift from the
handler. Request bodies are validated by API Gateway with models converted from the document's schemas, and
again by the handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

OPENAPI = Path(__file__).resolve().parent.parent.parent / "app" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
_DRAFT4_DROP = frozenset({"title", "default", "description", "example", "nullable", "readOnly", "writeOnly"})


@dataclass(frozen=True)
class RestRoute:
    method: str  # upper case
    path: str  # /sessions/{sessionId}
    operation_id: str
    model_name: str | None = None  # API Gateway model (alphanumeric) of the JSON body
    body_schema: Mapping[str, Any] | None = None  # JSON Schema draft 4

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(p[1:-1] for p in self.path.split("/") if p.startswith("{"))

    @property
    def arn_path(self) -> str:
        """The path as it appears in execute-api ARNs: parameters are wildcards."""
        return "/".join("*" if p.startswith("{") else p for p in self.path.split("/"))


def draft4(schema: Mapping[str, Any], components: Mapping[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as JSON Schema draft 4 (API Gateway models): refs inlined, nullable as a type."""
    if "$ref" in schema:
        return draft4(components[str(schema["$ref"]).rsplit("/", 1)[-1]], components)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DRAFT4_DROP:
            continue
        if key == "properties":
            out[key] = {name: draft4(sub, components) for name, sub in value.items()}
        elif key == "items":
            out[key] = draft4(value, components)
        elif key in ("anyOf", "oneOf", "allOf"):
            out[key] = [draft4(sub, components) for sub in value]
        else:
            out[key] = value
    if schema.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def load_routes(document: Path = OPENAPI) -> tuple[RestRoute, ...]:
    """Every operation of the app's OpenAPI document, with its JSON body schema."""
    if not document.is_file():
        raise ValueError(f"the REST API is built from {document}, which does not exist")
    spec = yaml.safe_load(document.read_text(encoding="utf-8"))
    components = spec.get("components", {}).get("schemas", {})
    routes = []
    for path, operations in sorted(spec["paths"].items()):
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = body.get("schema")
            model = None
            if schema is not None:
                model = str(schema.get("$ref", "")).rsplit("/", 1)[-1] or f"{operation['operationId']}Body"
                schema = {"$schema": "http://json-schema.org/draft-04/schema#", **draft4(schema, components)}
            routes.append(RestRoute(method.upper(), path, operation["operationId"], model, schema))
    if not routes:
        raise ValueError(f"{document} describes no operations")
    return tuple(routes)


def slug(path: str) -> str:
    """A path as part of a logical resource name: /sessions/{sessionId} -> sessions-sessionid."""
    return "-".join(p.strip("{}").lower() for p in path.split("/") if p) or "root"

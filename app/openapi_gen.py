"""Build app/openapi.yaml from the REST route table and the pydantic models (run from the repo root):

    .venv/bin/python app/openapi_gen.py --write

Not shipped in the Lambda archive; tests regenerate the document and compare it with the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

APP_DIR = Path(__file__).resolve().parent
OPENAPI_FILE = APP_DIR / "openapi.yaml"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))

from chatbot_app.core.models import PARAM_PATTERNS_DOC, ErrorBody  # noqa: E402
from chatbot_app.core.routes import ROUTES, Route  # noqa: E402

_ERRORS = {
    "400": "Bad JSON, unknown field or invalid value",
    "401": "Missing, invalid or expired token",
    "403": "Caller is not allowed (for example not in the admin or workspace_manager group)",
    "404": "Not found, or not the caller's (workspaces: also when retrieval is not enabled on this stack)",
    "409": "Concurrent change",
    "413": "Body, message or file too large",
    "429": "Daily message or token quota used up",
    "502": "The retrieval service failed; nothing was changed that the caller can see",
    "503": "The answer could not be queued; nothing was stored or counted",
}


def to_openapi30(schema: Any) -> Any:
    """Pydantic emits JSON Schema 2020-12; OpenAPI 3.0 spells null and const differently."""
    if isinstance(schema, list):
        return [to_openapi30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_openapi30(v) for k, v in schema.items()}
    options = out.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        out.pop("anyOf")
        if len(rest) == 1:
            out.update(rest[0])
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    if "const" in out:
        out["enum"] = [out.pop("const")]
    return out


def _collect(model: Any, components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = to_openapi30(definition)
    components[model.__name__] = to_openapi30(schema)
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "security": [{"cognito": []}],
    }
    params = [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]
    if params:
        op["parameters"] = [
            {
                "name": p,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": PARAM_PATTERNS_DOC[p]},
            }
            for p in params
        ]
    if route.request is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _collect(route.request, components)}},
        }
    responses: dict[str, Any] = {}
    if route.response is not None:
        responses[str(route.status)] = {
            "description": "Success",
            "content": {"application/json": {"schema": _collect(route.response, components)}},
        }
    else:
        responses[str(route.status)] = {"description": "Success, no content"}
    error_ref = _collect(ErrorBody, components)
    codes = ["400", "401", "404"] if route.request is not None or params else ["401"]
    if route.method == "PUT":
        codes += ["403", "409"]
    if route.request is not None:
        codes.append("413")
    codes += [str(status) for status in route.errors]
    for code in sorted(set(codes)):
        responses[code] = {
            "description": _ERRORS[code],
            "content": {"application/json": {"schema": dict(error_ref)}},
        }
    op["responses"] = responses
    return op


def build() -> dict[str, Any]:
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "chatbot chat API",
            "version": "1.0.0",
            "description": "REST API of the chat application. POST /sessions/{sessionId}/messages queues "
            "a question (202); the answer is pushed as frames over the push-only WebSocket API ($connect "
            "with ?token=, no client messages), which this document does not describe.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "cognito": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Cognito access or ID token of the SPA client",
                }
            },
        },
        "security": [{"cognito": []}],
    }


def render() -> str:
    import yaml

    header = "# Generated by app/openapi_gen.py from the route table and models; do not edit by hand.\n"
    return header + yaml.safe_dump(build(), sort_keys=False, width=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="write app/openapi.yaml instead of checking it")
    args = parser.parse_args()
    if args.write:
        OPENAPI_FILE.write_text(render(), encoding="utf-8")
        return 0
    current = OPENAPI_FILE.read_text(encoding="utf-8") if OPENAPI_FILE.exists() else ""
    if current != render():
        print("app/openapi.yaml is out of date; run: python app/openapi_gen.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

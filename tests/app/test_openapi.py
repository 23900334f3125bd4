"""app/openapi.yaml is generated from the route table and models, and stays true to both."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import yaml
from chatbot_app.core import models
from chatbot_app.core.routes import ROUTES

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("openapi_gen", APP_DIR / "openapi_gen.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _document() -> dict[str, Any]:
    return yaml.safe_load((APP_DIR / "openapi.yaml").read_text(encoding="utf-8"))


def test_file_is_up_to_date() -> None:
    gen = _generator()
    assert (APP_DIR / "openapi.yaml").read_text(encoding="utf-8") == gen.render(), (
        "run: .venv/bin/python app/openapi_gen.py --write"
    )


def test_every_route_is_documented_and_nothing_else() -> None:
    documented = {(method.upper(), path) for path, ops in _document()["paths"].items() for method in ops}
    assert documented == {(r.method, r.path) for r in ROUTES}


def test_request_schemas_are_the_models_schemas() -> None:
    gen = _generator()
    document = _document()
    schemas = document["components"]["schemas"]
    for route in ROUTES:
        op = document["paths"][route.path][route.method.lower()]
        if route.request is None:
            assert "requestBody" not in op
            continue
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[1]
        assert name == route.request.__name__
        expected = gen.to_openapi30(
            route.request.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        assert schemas[name] == expected
        assert schemas[name]["additionalProperties"] is False  # unknown fields are rejected


def test_success_status_and_path_parameters_match_the_routes() -> None:
    document = _document()
    for route in ROUTES:
        op = document["paths"][route.path][route.method.lower()]
        assert str(route.status) in op["responses"]
        names = re.findall(r"\{(\w+)\}", route.path)
        assert [p["name"] for p in op.get("parameters", [])] == names
        for param in op.get("parameters", []):
            assert param["schema"]["pattern"] == models.PARAM_PATTERNS_DOC[param["name"]]
        assert op["security"] == [{"cognito": []}]


def test_send_message_is_documented_as_queued_with_its_failures() -> None:
    op = _document()["paths"]["/sessions/{sessionId}/messages"]["post"]
    assert op["operationId"] == "sendMessage"
    assert {"202", "400", "401", "404", "413", "429", "503"} <= set(op["responses"])
    accepted = op["responses"]["202"]["content"]["application/json"]["schema"]["$ref"]
    assert accepted.endswith("/MessageAccepted")
    request = _document()["components"]["schemas"]["SendMessageRequest"]
    assert set(request["properties"]) == {"text", "modelId"} and request["additionalProperties"] is False

"""SiteContent: every UI file as an object with its content type, and a config.json from the outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from components.site_content import RuntimeConfig, SiteContent, SiteContentArgs, content_type, site_files

from .conftest import Harness

OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "js" / "views").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "index.html").write_text("<!doctype html><title>chat</title>")
    (root / "app.css").write_text("body{}")
    (root / "js" / "main.js").write_text("export {};")
    (root / "js" / "views" / "chat.js").write_text("export {};")
    (root / "favicon.svg").write_text("<svg/>")
    (root / "tests" / "markdown.test.mjs").write_text("// not shipped")
    (root / ".hidden").write_text("not shipped")
    (root / "package.json").write_text('{"type": "module"}')
    (root / "README.md").write_text("notes")
    return root


def config() -> RuntimeConfig:
    return RuntimeConfig(mode="aws", api_url="https://rest123.execute-api.eu-west-1.amazonaws.com/api/",
                         websocket_url="wss://ws123.execute-api.eu-west-1.amazonaws.com/api",
                         client_id="client123",
                         hosted_ui_domain="chatbot-prod.auth.eu-west-1.amazoncognito.com",
                         site_url="https://chat.example.com", scopes=("openid", "email", "profile"))


def test_only_browser_files_are_shipped_with_their_types(web_root: Path) -> None:
    files = site_files(web_root)
    assert list(files) == ["app.css", "favicon.svg", "index.html", "js/main.js", "js/views/chat.js"]
    assert content_type(files["js/main.js"]) == "text/javascript; charset=utf-8"
    assert content_type(files["app.css"]) == "text/css; charset=utf-8"
    assert content_type(files["favicon.svg"]) == "image/svg+xml"


def test_a_root_without_index_or_with_a_config_file_is_refused(web_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no"):
        site_files(tmp_path / "empty")
    (web_root / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="would be overwritten by the generated config.json"):
        site_files(web_root)


def test_objects_and_the_generated_config(pulumi_mocks, web_root: Path) -> None:
    harness: Harness = pulumi_mocks("prod")
    harness.run(lambda: pulumi.Output.from_input(
        sorted(SiteContent("site", SiteContentArgs("content-bucket", config(), web_root)).objects)))
    objects = {o.inputs["key"]: o.inputs for o in harness.of_type(OBJECT)}
    assert set(objects) == {"app.css", "favicon.svg", "index.html", "js/main.js", "js/views/chat.js",
                            "config.json"}
    assert objects["index.html"]["contentType"] == "text/html; charset=utf-8"
    assert all(o["bucket"] == "content-bucket" and o["cacheControl"] == "no-cache" for o in objects.values())
    document = json.loads(objects["config.json"]["content"])
    assert document["apiUrl"] == "https://rest123.execute-api.eu-west-1.amazonaws.com/api"
    assert document["auth"] == {
        "authorizeUrl": "https://chatbot-prod.auth.eu-west-1.amazoncognito.com/oauth2/authorize",
        "tokenUrl": "https://chatbot-prod.auth.eu-west-1.amazoncognito.com/oauth2/token",
        "logoutUrl": "https://chatbot-prod.auth.eu-west-1.amazoncognito.com/logout",
        "clientId": "client123", "redirectUri": "https://chat.example.com",
        "scopes": ["openid", "email", "profile"]}
    assert document["mode"] == "aws" and document["notice"] is None and document["embeddingModels"] == []
    assert "secret" not in objects["config.json"]["content"].lower()

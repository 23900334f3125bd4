"""Pieces of the local server that need no running server: startup checks, the shared environment, users,
the management endpoint for loopback WebSocket stages."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from tools.local_server import environment as envs
from tools.local_server.errors import StartupError
from tools.local_server.models import resolve_models
from tools.local_server.server import APP_DIR, LocalServer, Options
from tools.local_server.users import UsersFileError, hash_password, load_users, verify_password

if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))


def test_non_loopback_host_needs_allow_remote(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="--allow-remote"):
        LocalServer(Options(host="0.0.0.0", port=0, data_dir=tmp_path)).start()  # noqa: S104


def test_port_in_use_names_the_flag(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(StartupError, match=f"127.0.0.1:{port}.*--port"):
            LocalServer(Options(port=port, data_dir=tmp_path)).start()


def test_unwritable_data_dir_names_the_flag(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StartupError, match="--data-dir"):
        LocalServer(Options(port=0, data_dir=blocker / "data")).start()


def test_every_function_gets_its_stack_variables_without_conflict() -> None:
    endpoints = envs.Endpoints("http://127.0.0.1:8000", "http://127.0.0.1:5000")
    per = envs.per_function(endpoints, envs.Models(True, "us-east-1"), "postgresql://x", "http://q")
    merged = envs.merged(per)
    assert per["rest"]["CHAT_WORKER_FUNCTION"] == "chatbot-local-chat-worker"
    assert per["rest"]["RAG_FUNCTION"] == per["chat_worker"]["RAG_FUNCTION"] == "chatbot-local-rag"
    assert per["doc_processor"]["INGEST_QUEUE_URL"] == "http://q"
    assert merged["JWKS_URL"] == "http://127.0.0.1:8000/auth/.well-known/jwks.json"
    assert merged["EMBEDDING_MODELS"] == "local.wordllama-256"
    from chatbot_app.core.config import from_env

    for role in envs.CHAT_FUNCTIONS:  # each chat function's own variables make a valid configuration
        config = from_env({**per[role], "AWS_REGION": "us-east-1"})
        assert config.jwks_url == merged["JWKS_URL"] and config.user_pool_client_id == envs.CLIENT_ID
    from chatbot_app.rag.crawl_job import CrawlSettings

    # The crawler: invoked by rest, registering pages through the rag function, into the uploads bucket.
    assert per["rest"]["CRAWLER_FUNCTION_NAME"] == "chatbot-local-web-crawler"
    crawl = CrawlSettings.from_env(per["web_crawler"])
    assert (crawl.rag_function, crawl.bucket) == ("chatbot-local-rag", per["rest"]["UPLOADS_BUCKET"])
    assert (crawl.max_pages, crawl.feeds, crawl.allowed_hosts) == (25, True, ())
    assert not crawl.allow_insecure_loopback
    with pytest.raises(ValueError, match="UPLOADS_BUCKET differs between rest"):
        envs.merged({**per, "rag": {**per["rag"], "UPLOADS_BUCKET": "other"}})


def test_process_environment_keeps_every_service_local_except_bedrock() -> None:
    endpoints = envs.Endpoints("http://127.0.0.1:8000", "http://127.0.0.1:5000")
    local = envs.process_environment(endpoints, envs.Models(True, "us-east-1"), None)
    assert local["AWS_ENDPOINT_URL"] == local["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:5000"
    assert local["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:8000/s3"
    assert local["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == "http://127.0.0.1:5000"
    assert local["AWS_ACCESS_KEY_ID"] == "testing" and local["MODEL_PROVIDER"] == "local"
    real = envs.process_environment(endpoints, envs.Models(False, "eu-west-1"),
                                    {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"})
    assert real["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"  # anything unnamed: moto, never AWS
    assert real["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == "https://bedrock-runtime.eu-west-1.amazonaws.com"
    assert real["AWS_ENDPOINT_URL_BEDROCK"] == "https://bedrock.eu-west-1.amazonaws.com"
    assert "MODEL_PROVIDER" not in real and real["AWS_ACCESS_KEY_ID"] == "AKIA"


def test_password_hashes_and_users_file(tmp_path: Path) -> None:
    encoded = hash_password("correct horse")
    assert verify_password("correct horse", encoded) and not verify_password("wrong", encoded)
    assert not verify_password("x", "md5$abc")
    users = load_users(Path(__file__).resolve().parents[2] / "local" / "users.yaml")
    assert users["admin"].groups == ("admin", "workspace_manager") and users["user"].groups == ()
    assert verify_password("admin-local-only", users["admin"].password_hash)
    assert users["admin"].sub != users["user"].sub
    bad = tmp_path / "users.yaml"
    bad.write_text("users:\n  - username: x\n    password_hash: plain\n")
    with pytest.raises(UsersFileError, match="password_hash"):
        load_users(bad)


def test_static_files_follow_the_deployed_sites_rules() -> None:
    """site.py keeps its own copies (components/site_content.py imports Pulumi); they must not drift."""
    from components import site_content
    from tools.local_server import site

    assert site.SKIPPED_PARTS == site_content.SKIPPED_PARTS
    assert site._TYPES == site_content._TYPES


def test_loopback_websocket_stage_is_reached_over_http() -> None:
    from chatbot_app.core.streaming import endpoint_from_event

    def endpoint(domain: str) -> str:
        return endpoint_from_event({"requestContext": {"domainName": domain, "stage": "ws", "apiId": "a1"}},
                                   "us-east-1")

    assert endpoint("127.0.0.1:8000") == "http://127.0.0.1:8000/ws"
    assert endpoint("localhost:8000") == "http://localhost:8000/ws"
    assert endpoint("a1.execute-api.us-east-1.amazonaws.com") == "https://a1.execute-api.us-east-1.amazonaws.com/ws"
    assert endpoint("127.0.0.1.example.com") == "https://a1.execute-api.us-east-1.amazonaws.com/ws"


_CREDENTIAL_SOURCES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                       "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _CREDENTIAL_SOURCES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_bedrock_mode_freezes_the_credentials_it_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_credentials(monkeypatch)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-example")
    mode = resolve_models("auto", "eu-central-1")
    assert not mode.local and mode.region == "eu-central-1" and "Bedrock in eu-central-1" in mode.notice
    assert mode.credentials == {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-example"}
    forced = resolve_models("local", None)  # --local-models never looks for credentials
    assert forced.local and forced.credentials is None and "Local mode" in forced.notice


def test_without_credentials_auto_is_local_and_bedrock_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_credentials(monkeypatch)
    assert resolve_models("auto", None).local
    with pytest.raises(StartupError, match="--local-models"):
        resolve_models("bedrock", None)


def test_broken_users_file_names_the_flag(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    users.write_text("users: []\n")
    with pytest.raises(StartupError, match="--users"):
        LocalServer(Options(port=0, data_dir=tmp_path / "data", users_file=users)).start()

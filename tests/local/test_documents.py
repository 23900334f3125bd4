"""Workspaces and uploads end to end: presigned POST to moto (through /s3), the S3 notification on the
ingest queue, the local processor, wordllama embeddings in pgvector, and a cited answer."""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.local.client import Api
from tests.local.test_chat import ask

DOCUMENT = (
    b"Onboarding notes\n\n"
    b"The office cat is called Pixel. Pixel sleeps on the warm shelf beside the printer every afternoon.\n\n"
    b"The cafeteria opens at eight in the morning and serves coffee until noon.\n\n"
    b"Expense reports are due on the last Friday of each month.\n"
)


def _wait_ready(api: Api, workspace_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        documents = api.call("GET", f"/workspaces/{workspace_id}/documents").json()["documents"]
        if documents and documents[0]["status"] in ("ready", "failed"):
            return documents[0]
        assert time.monotonic() < deadline, f"the document never became ready: {documents}"
        time.sleep(0.2)


def test_upload_is_processed_and_cited(config: dict[str, Any], admin: Api) -> None:
    created = admin.call("POST", "/workspaces", {"name": "Handbook", "embeddingModel": "local.wordllama-256",
                                                 "chunkSize": 500, "chunkOverlap": 50, "hybridSearch": True})
    assert created.status_code == 201, created.text
    workspace_id = created.json()["id"]
    ticket = admin.call("POST", f"/workspaces/{workspace_id}/documents",
                        {"fileName": "handbook.txt", "contentType": "text/plain", "size": len(DOCUMENT)})
    assert ticket.status_code == 201, ticket.text
    upload = ticket.json()["upload"]
    # Same origin as the page: the stack's connect-src 'self' CSP allows it.
    assert upload["url"].startswith(f"{config['apiUrl'].removesuffix('/api')}/s3/")
    posted = requests.post(upload["url"], data=upload["fields"], timeout=30,
                           files={"file": ("handbook.txt", DOCUMENT, "text/plain")})
    assert posted.status_code == 204, posted.text
    document = _wait_ready(admin, workspace_id)
    assert document["status"] == "ready", document
    assert document["chunkCount"] >= 1

    bound = admin.call("POST", "/sessions", {"title": "Handbook", "workspaceId": workspace_id})
    session_id = bound.json()["sessionId"]
    _, frames = ask(config, admin, session_id, "What is the name of the office cat?")
    kinds = [f["type"] for f in frames]
    assert kinds[:2] == ["start", "sources"] and kinds[-1] == "end", frames
    sources = frames[1]["sources"]
    assert sources and sources[0]["fileName"] == "handbook.txt"
    answer = "".join(f["text"] for f in frames if f["type"] == "delta")
    assert "Pixel" in answer and "[1]" in answer


def test_plain_user_cannot_manage_workspaces_or_settings(admin: Api, user: Api) -> None:
    workspaces = admin.call("GET", "/workspaces").json()["workspaces"]
    refused = user.call("POST", "/workspaces", {"name": "Mine", "embeddingModel": "local.wordllama-256",
                                                "chunkSize": 500, "chunkOverlap": 50, "hybridSearch": False})
    assert refused.status_code == 403
    if workspaces:
        assert user.call("GET", f"/workspaces/{workspaces[0]['id']}/documents").status_code == 403
    settings = user.call("GET", "/settings")
    assert settings.status_code == 200
    change = {"version": settings.json()["version"], "temperature": 0.1}
    assert user.call("PUT", "/settings", change).status_code == 403
    assert admin.call("PUT", "/settings", change).status_code == 200

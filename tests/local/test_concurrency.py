"""Lambda runs one invocation per container at a time and the handlers rely on it (the rag service keeps
one database connection): parallel browser requests must not share an invocation's state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.local.client import Api


def test_parallel_requests_that_reach_the_rag_service_all_succeed(admin: Api) -> None:
    created = admin.call("POST", "/workspaces", {"name": "Parallel", "embeddingModel": "local.wordllama-256",
                                                 "chunkSize": 500, "chunkOverlap": 50, "hybridSearch": False})
    workspace_id = created.json()["id"]
    paths = [f"/workspaces/{workspace_id}", f"/workspaces/{workspace_id}/documents", "/workspaces"] * 8
    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda path: admin.call("GET", path).status_code, paths))
    assert statuses == [200] * len(paths)

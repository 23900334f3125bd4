"""Stubber helpers for bedrock-runtime InvokeModel (a uniquely named module, shared by the RAG tests)."""

from __future__ import annotations

import io
import json
from typing import Any

from botocore.response import StreamingBody


class JsonBody:
    """Equal to a request body whose JSON decodes to `expected` (key order and spacing do not matter)."""

    def __init__(self, expected: dict[str, Any]) -> None:
        self.expected = expected

    def __eq__(self, other: object) -> bool:
        return isinstance(other, bytes | str) and json.loads(other) == self.expected

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JsonBody({self.expected!r})"


def reply(payload: dict[str, Any]) -> dict[str, Any]:
    """An InvokeModel response whose body is `payload` as JSON."""
    raw = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


def expect(model: str, body: dict[str, Any]) -> dict[str, Any]:
    """The InvokeModel parameters the embedder must send for `body`."""
    return {"modelId": model, "body": JsonBody(body), "contentType": "application/json",
            "accept": "application/json"}

"""The push-only WebSocket API: $connect is authorised by the token, each connection is indexed under its
owner (so the worker can find it) and expires with the token; $disconnect forgets it."""

from __future__ import annotations

from typing import Any

import pytest
from chatbot_app.core import connections
from chatbot_app.handlers import ws_authorizer, ws_connect, ws_disconnect

from .conftest import WS_ENDPOINT, Tokens, connect, scan, ws_event


def test_authorizer_and_connect_refuse_bad_tokens(ddb: Any, tokens: Tokens) -> None:
    for token in (None, "garbage", tokens.make(expires_in=-100), tokens.make(client="other")):
        with pytest.raises(Exception, match="^Unauthorized$"):
            ws_authorizer.handler(ws_event("c", token=token), None)
    assert ws_connect.handler(ws_event("c", token=tokens.make(expires_in=-100)), None) == {"statusCode": 401}
    assert ws_connect.handler(ws_event("c"), None) == {"statusCode": 401}
    # The authorizer let "alice" in, but the token presented to $connect is mallory's.
    event = ws_event("c", token=tokens.make("mallory"), sub="alice")
    assert ws_connect.handler(event, None) == {"statusCode": 401}
    assert scan(ddb, "CONNECTIONS_TABLE") == []


def test_connection_is_indexed_under_its_owner_and_expires_with_the_token(ddb: Any, tokens: Tokens) -> None:
    connect(tokens, "alice", "conn-1", expires_in=600)
    items = {(i["pk"], i["sk"]): i for i in scan(ddb, "CONNECTIONS_TABLE")}
    assert set(items) == {("USER#alice", "CONN#conn-1"), ("CONN#conn-1", "META")}
    owner_item, meta = items["USER#alice", "CONN#conn-1"], items["CONN#conn-1", "META"]
    assert owner_item["endpoint"] == WS_ENDPOINT and meta["sub"] == "alice"
    assert owner_item["expiresAt"] == meta["expiresAt"] <= owner_item["connectedAt"] + 600
    (target,) = connections.live("chat-connections", "alice", owner_item["connectedAt"])
    assert target == connections.Target("conn-1", WS_ENDPOINT)
    assert connections.live("chat-connections", "alice", owner_item["expiresAt"]) == []  # expired
    assert connections.live("chat-connections", "mallory", 0) == []


def test_disconnect_forgets_both_items(ddb: Any, tokens: Tokens) -> None:
    connect(tokens, "alice", "conn-1")
    connect(tokens, "alice", "conn-2")
    assert ws_disconnect.handler(ws_event("conn-1"), None) == {"statusCode": 200}
    assert {(i["pk"], i["sk"]) for i in scan(ddb, "CONNECTIONS_TABLE")} == {
        ("USER#alice", "CONN#conn-2"),
        ("CONN#conn-2", "META"),
    }
    assert ws_disconnect.handler(ws_event("never-seen"), None) == {"statusCode": 200}

"""WebSocket connections: who owns each one, where to reach it, and until when its token is valid.

Two items per connection, written and deleted together: `USER#<sub>`/`CONN#<id>` lets the chat worker find
every live connection of a user with one Query (no scan, no index), and `CONN#<id>`/`META` lets $disconnect,
which only knows the connection id, find the owner's item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import aws
from .auth import Principal

MAX_CONNECTION_SECONDS = 2 * 3600  # API Gateway closes WebSocket connections after two hours


@dataclass(frozen=True)
class Target:
    connection_id: str
    endpoint: str  # the management API endpoint of the stage the browser connected to


def _meta_key(connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CONN#{connection_id}"}, "sk": {"S": "META"}}


def _user_key(sub: str, connection_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"USER#{sub}"}, "sk": {"S": f"CONN#{connection_id}"}}


def save(table: str, connection_id: str, principal: Principal, endpoint: str, now_s: int) -> None:
    # The connection is only as good as the token that opened it.
    expires = min(principal.expires_at, now_s + MAX_CONNECTION_SECONDS)
    user_item = aws.to_item(
        {
            "username": principal.username,
            "groups": sorted(principal.groups),
            "endpoint": endpoint,
            "connectedAt": now_s,
            "expiresAt": expires,
        }
    )
    user_item.update(_user_key(principal.sub, connection_id))
    meta_item = aws.to_item({"sub": principal.sub, "connectedAt": now_s, "expiresAt": expires})
    meta_item.update(_meta_key(connection_id))
    aws.ddb().transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": item}} for item in (user_item, meta_item)]
    )


def live(table: str, sub: str, now_s: int) -> list[Target]:
    """The user's open connections. TTL deletion is lazy, so expired items are skipped here."""
    pages = (
        aws.ddb()
        .get_paginator("query")
        .paginate(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": {"S": f"USER#{sub}"}, ":prefix": {"S": "CONN#"}},
            ConsistentRead=True,
        )
    )
    targets = []
    for page in pages:
        for item in page.get("Items", []):
            data = aws.from_item(item)
            if int(data.get("expiresAt", 0)) > now_s and data.get("endpoint"):
                targets.append(Target(data["sk"].removeprefix("CONN#"), data["endpoint"]))
    return sorted(targets, key=lambda t: t.connection_id)


def forget(table: str, sub: str, connection_id: str) -> None:
    """Drop a connection API Gateway reported gone (the browser left without a clean $disconnect)."""
    for key in (_user_key(sub, connection_id), _meta_key(connection_id)):
        aws.ddb().delete_item(TableName=table, Key=key)


def remove(table: str, connection_id: str) -> None:
    meta = aws.ddb().get_item(TableName=table, Key=_meta_key(connection_id), ConsistentRead=True).get("Item")
    if meta:
        forget(table, aws.from_item(meta)["sub"], connection_id)

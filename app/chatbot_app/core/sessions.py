"""Sessions and messages in the sessions table. Every key starts with the owner's sub, so a caller can
only ever address their own items: a non-owner gets "not found", never someone else's data."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from . import aws
from .clock import iso, now_ms
from .errors import NotFound
from .models import Feedback, Message, Session, Source, Usage


def session_key(sub: str, session_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"USER#{sub}"}, "sk": {"S": f"SESSION#{session_id}"}}


def messages_pk(sub: str, session_id: str) -> str:
    return f"MSGS#{sub}#{session_id}"


def exchange_ids(ms: int) -> tuple[str, str]:
    """Question and answer ids of one exchange: sortable by time, the answer one millisecond after the
    question; the shared random part keeps two sends in the same millisecond apart."""
    rand = secrets.token_hex(4)
    return f"{ms:013d}-{rand}-u", f"{ms + 1:013d}-{rand}-a"


def question_id(answer_id: str) -> str:
    """The question's id, derived from the answer's (the job carries only the answer's)."""
    ms, rand, _ = answer_id.split("-")
    return f"{int(ms) - 1:013d}-{rand}-u"


def message_exists(table: str, sub: str, session_id: str, message_id: str) -> bool:
    key = {"pk": {"S": messages_pk(sub, session_id)}, "sk": {"S": f"MSG#{message_id}"}}
    found = aws.ddb().get_item(TableName=table, Key=key, ConsistentRead=True, ProjectionExpression="pk")
    return "Item" in found


def _session(item: dict[str, Any]) -> Session:
    data = aws.from_item(item)
    return Session(
        sessionId=data["sk"].removeprefix("SESSION#"),
        title=data["title"],
        createdAt=data["createdAt"],
        updatedAt=data["updatedAt"],
        messageCount=data.get("messageCount", 0),
        totalTokens=data.get("totalTokens", 0),
        workspaceId=data.get("workspaceId"),
    )


def _message(item: dict[str, Any]) -> Message:
    data = aws.from_item(item)
    return Message(
        messageId=data["sk"].removeprefix("MSG#"),
        role=data["role"],
        text=data["text"],
        createdAt=data["createdAt"],
        modelId=data.get("modelId"),
        usage=Usage(**data["usage"]) if data.get("usage") else None,
        feedback=Feedback(**data["feedback"]) if data.get("feedback") else None,
        sources=[Source(**s) for s in data["sources"]] if "sources" in data else None,
    )


def create(table: str, sub: str, title: str, workspace_id: str | None = None) -> Session:
    """`workspace_id`, if any, was checked by the caller (the rag service knows the workspaces)."""
    stamp = iso(now_ms())
    session_id = uuid.uuid4().hex
    item = aws.to_item(
        {
            "title": title,
            "createdAt": stamp,
            "updatedAt": stamp,
            "messageCount": 0,
            "totalTokens": 0,
            "workspaceId": workspace_id,
        }
    )
    item.update(session_key(sub, session_id))
    aws.ddb().put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    return _session(item)


def list_sessions(table: str, sub: str) -> list[Session]:
    paginator = aws.ddb().get_paginator("query")
    pages = paginator.paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": f"USER#{sub}"}, ":prefix": {"S": "SESSION#"}},
    )
    sessions = [_session(item) for page in pages for item in page.get("Items", [])]
    return sorted(sessions, key=lambda s: s.updatedAt, reverse=True)


def get(table: str, sub: str, session_id: str) -> Session:
    item = (
        aws.ddb().get_item(TableName=table, Key=session_key(sub, session_id), ConsistentRead=True).get("Item")
    )
    if not item:
        raise NotFound("session not found")
    return _session(item)


def messages(table: str, sub: str, session_id: str, limit: int | None = None) -> list[Message]:
    """Oldest first; with `limit`, only the most recent `limit` messages."""
    query: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": messages_pk(sub, session_id)}},
        "ScanIndexForward": limit is None,
    }
    if limit is not None:
        if limit == 0:
            return []
        query["Limit"] = limit
        items = aws.ddb().query(**query).get("Items", [])
        return [_message(i) for i in reversed(items)]
    pages = aws.ddb().get_paginator("query").paginate(**query)
    return [_message(i) for page in pages for i in page.get("Items", [])]


def update(
    table: str,
    sub: str,
    session_id: str,
    *,
    title: str | None = None,
    rebind: bool = False,
    workspace_id: str | None = None,
) -> Session:
    """Rename, and/or with `rebind` bind to `workspace_id` (checked by the caller) or unbind (None)."""
    from botocore.exceptions import ClientError

    sets, values = ["updatedAt = :u"], {":u": {"S": iso(now_ms())}}
    if title is not None:
        sets.append("title = :t")
        values[":t"] = {"S": title}
    if rebind and workspace_id:
        sets.append("workspaceId = :w")
        values[":w"] = {"S": workspace_id}
    expression = "SET " + ", ".join(sets) + (" REMOVE workspaceId" if rebind and not workspace_id else "")
    try:
        result = aws.ddb().update_item(
            TableName=table,
            Key=session_key(sub, session_id),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            raise NotFound("session not found") from exc
        raise
    return _session(result["Attributes"])


def delete(table: str, sub: str, session_id: str) -> None:
    from botocore.exceptions import ClientError

    try:
        aws.ddb().delete_item(
            TableName=table, Key=session_key(sub, session_id), ConditionExpression="attribute_exists(pk)"
        )
    except ClientError as exc:
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            raise NotFound("session not found") from exc
        raise
    # The session is gone first, so a concurrent send fails its transaction instead of re-creating messages.
    pk = messages_pk(sub, session_id)
    pages = (
        aws.ddb()
        .get_paginator("query")
        .paginate(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ProjectionExpression="pk, sk",
            ExpressionAttributeValues={":pk": {"S": pk}},
        )
    )
    keys = [item for page in pages for item in page.get("Items", [])]
    for start in range(0, len(keys), 25):
        batch = [{"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]]
        pending: dict[str, Any] = {table: batch}
        for _ in range(5):
            pending = aws.ddb().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not pending:
                break


def set_feedback(
    table: str, sub: str, session_id: str, message_id: str, rating: str, comment: str
) -> Message:
    from botocore.exceptions import ClientError

    feedback = {"rating": rating, "comment": comment, "updatedAt": iso(now_ms())}
    try:
        result = aws.ddb().update_item(
            TableName=table,
            Key={"pk": {"S": messages_pk(sub, session_id)}, "sk": {"S": f"MSG#{message_id}"}},
            UpdateExpression="SET feedback = :f",
            ConditionExpression="attribute_exists(pk) AND #role = :assistant",
            ExpressionAttributeNames={"#role": "role"},
            ExpressionAttributeValues={":f": aws.to_value(feedback), ":assistant": {"S": "assistant"}},
            ReturnValues="ALL_NEW",
        )
    except ClientError as exc:
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            raise NotFound("answer not found in this session") from exc
        raise
    return _message(result["Attributes"])


def exchange_writes(table: str, sub: str, session_id: str, question: Message, answer: Message) -> list[dict]:
    """TransactWriteItems entries that store both messages and bump the session, or nothing at all."""
    entries: list[dict] = []
    pk = messages_pk(sub, session_id)
    for message in (question, answer):
        item = aws.to_item(
            {
                "pk": pk,
                "sk": f"MSG#{message.messageId}",
                **message.model_dump(exclude={"messageId"}, exclude_none=True),
            }
        )
        entries.append(
            {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
        )
    tokens = answer.usage.totalTokens if answer.usage else 0
    entries.append(
        {
            "Update": {
                "TableName": table,
                "Key": session_key(sub, session_id),
                "UpdateExpression": "SET updatedAt = :u ADD messageCount :two, totalTokens :tokens",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {
                    ":u": {"S": answer.createdAt},
                    ":two": {"N": "2"},
                    ":tokens": {"N": str(tokens)},
                },
            }
        }
    )
    return entries

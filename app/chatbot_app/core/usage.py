"""Per-user daily quotas in the usage table: one item per user and UTC day, updated atomically."""

from __future__ import annotations

from typing import Any

from . import aws
from .clock import day, iso
from .errors import QuotaExceeded
from .models import Allowance, UsageReport

_TTL_SECONDS = 3 * 24 * 3600
_DAY_MS = 24 * 3600 * 1000


def usage_key(sub: str, ms: int) -> dict[str, Any]:
    return {"pk": {"S": f"USER#{sub}"}, "sk": {"S": f"DAY#{day(ms)}"}}


def reserve_message(table: str, sub: str, ms: int, max_messages: int, max_tokens: int) -> None:
    """Count one message before the model is called; refuse when either daily limit is already reached."""
    from botocore.exceptions import ClientError

    try:
        aws.ddb().update_item(
            TableName=table,
            Key=usage_key(sub, ms),
            UpdateExpression="SET expiresAt = if_not_exists(expiresAt, :exp) ADD messages :one",
            ConditionExpression=(
                "(attribute_not_exists(messages) OR messages < :maxm) "
                "AND (attribute_not_exists(tokens) OR tokens < :maxt)"
            ),
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":maxm": {"N": str(max_messages)},
                ":maxt": {"N": str(max_tokens)},
                ":exp": {"N": str(ms // 1000 + _TTL_SECONDS)},
            },
        )
    except ClientError as exc:
        if aws.error_code(exc) == "ConditionalCheckFailedException":
            raise QuotaExceeded("daily message or token quota reached; try again tomorrow (UTC)") from exc
        raise


def release_message(table: str, sub: str, ms: int) -> None:
    """Give the reserved message back when the exchange could not be completed."""
    aws.ddb().update_item(
        TableName=table,
        Key=usage_key(sub, ms),
        UpdateExpression="ADD messages :minus",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":minus": {"N": "-1"}},
    )


def tokens_write(table: str, sub: str, ms: int, tokens: int) -> dict[str, Any]:
    """The TransactWriteItems entry that adds an exchange's tokens to the reserving day's usage."""
    return {
        "Update": {
            "TableName": table,
            "Key": usage_key(sub, ms),
            "UpdateExpression": "ADD tokens :t",
            "ExpressionAttributeValues": {":t": {"N": str(tokens)}},
        }
    }


def get_usage(table: str, sub: str, ms: int) -> dict[str, int]:
    item = aws.ddb().get_item(TableName=table, Key=usage_key(sub, ms), ConsistentRead=True).get("Item") or {}
    data = aws.from_item(item)
    return {"messages": int(data.get("messages", 0)), "tokens": int(data.get("tokens", 0))}


def report(table: str, sub: str, ms: int, max_messages: int, max_tokens: int) -> UsageReport:
    used = get_usage(table, sub, ms)
    midnight = (ms // _DAY_MS + 1) * _DAY_MS  # quotas are per UTC day
    return UsageReport(
        day=day(ms),
        resetsAt=iso(midnight),
        messages=Allowance(used=used["messages"], limit=max_messages),
        tokens=Allowance(used=used["tokens"], limit=max_tokens),
    )

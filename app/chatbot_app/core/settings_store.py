"""Runtime inference settings (one item) and their audit trail, written together in one transaction."""

from __future__ import annotations

import uuid
from typing import Any

from . import aws
from .clock import iso, now_ms
from .config import Config
from .errors import Conflict, Forbidden, ValidationFailed
from .models import InferenceSettings, SettingsUpdateRequest

SETTINGS_KEY = {"pk": {"S": "SETTINGS"}, "sk": {"S": "INFERENCE"}}
AUDIT_PK = "AUDIT#SETTINGS"


def defaults(config: Config) -> InferenceSettings:
    return InferenceSettings(
        defaultModel=config.default_model_id,
        temperature=0.5,
        maxTokens=1024,
        systemPrompt="You are a helpful assistant.",
        historyLength=10,
        version=0,
    )


def read(config: Config) -> InferenceSettings:
    item = (
        aws.ddb().get_item(TableName=config.settings_table, Key=SETTINGS_KEY, ConsistentRead=True).get("Item")
    )
    if not item:
        return defaults(config)
    data = aws.from_item(item)
    data.pop("pk", None)
    data.pop("sk", None)
    return InferenceSettings(**data)


def update(
    config: Config,
    who: dict[str, str],
    groups: frozenset[str],
    request: SettingsUpdateRequest,
    available_models: set[str],
) -> InferenceSettings:
    """Admin-only change with optimistic concurrency; the audit item is written in the same transaction."""
    from botocore.exceptions import ClientError

    if config.admin_group not in groups:
        raise Forbidden(f"only members of the {config.admin_group} group can change runtime settings")
    changes = request.model_dump(exclude={"version"}, exclude_none=True)
    if not changes:
        raise ValidationFailed("no setting to change")
    if "defaultModel" in changes and changes["defaultModel"] not in available_models:
        raise ValidationFailed(f"unknown model {changes['defaultModel']!r}", code="unknown_model")
    before = read(config)
    if before.version != request.version:
        raise Conflict(f"settings changed meanwhile (version {before.version}); reload and retry")
    ms = now_ms()
    after = before.model_copy(
        update={**changes, "version": before.version + 1, "updatedAt": iso(ms), "updatedBy": who["username"]}
    )
    after = InferenceSettings.model_validate(after.model_dump())
    condition: dict[str, Any]
    if before.version == 0:
        condition = {"ConditionExpression": "attribute_not_exists(pk)"}
    else:
        condition = {
            "ConditionExpression": "version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(before.version)}},
        }
    settings_item = {**SETTINGS_KEY, **aws.to_item(after.model_dump(exclude_none=True))}
    audit_item = aws.to_item(
        {
            "pk": AUDIT_PK,
            "sk": f"{iso(ms)}#{uuid.uuid4().hex}",
            "who": who,
            "when": iso(ms),
            "what": "inference-settings",
            "changed": sorted(changes),
            "before": before.model_dump(exclude_none=True),
            "after": after.model_dump(exclude_none=True),
        }
    )
    try:
        aws.ddb().transact_write_items(
            TransactItems=[
                {"Put": {"TableName": config.settings_table, "Item": settings_item, **condition}},
                {
                    "Put": {
                        "TableName": config.audit_table,
                        "Item": audit_item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except ClientError as exc:
        if aws.error_code(exc) == "TransactionCanceledException":
            raise Conflict("settings changed meanwhile; reload and retry") from exc
        raise
    return after

"""Lazily created AWS clients and DynamoDB (de)serialisation; boto3 is imported on first use only."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any


@functools.cache
def client(service: str, region: str | None = None, endpoint_url: str | None = None) -> Any:
    import boto3  # deferred so cold imports stay cheap
    from botocore.config import Config as BotoConfig

    retries = BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=60)
    return boto3.client(service, region_name=region, endpoint_url=endpoint_url, config=retries)


def reset_clients() -> None:
    """Forget cached clients (tests switch credentials and mocks between cases)."""
    client.cache_clear()


def ddb() -> Any:
    from .config import get_config

    return client("dynamodb", get_config().region)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    ser = TypeSerializer()
    return {k: ser.serialize(_decimal(v)) for k, v in data.items() if v is not None}


def to_value(value: Any) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer().serialize(_decimal(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    de = TypeDeserializer()
    return {k: _plain(de.deserialize(v)) for k, v in item.items()}


def _decimal(value: Any) -> Any:
    # DynamoDB numbers must be Decimal; floats are converted via str to keep their printed value.
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimal(v) for v in value]
    return value


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))

"""AWS test doubles shared by the RAG tests (a uniquely named module): a moto world with fake credentials in
the environment, and boto3 clients under botocore's Stubber."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

KEYS = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "secret"}


@contextlib.contextmanager
def moto_world(region: str, **extra_env: str) -> Iterator[None]:
    """moto's AWS, with fake credentials and `region` in the environment (restored on exit)."""
    with pytest.MonkeyPatch.context() as patch:
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": region, **extra_env}
        for name, value in env.items():
            patch.setenv(name, value)
        with mock_aws():
            yield


@contextlib.contextmanager
def stubbed(service: str, region: str) -> Iterator[tuple[Any, Stubber]]:
    """A client with static keys under botocore's Stubber; every queued response must have been used."""
    client = boto3.client(service, region_name=region, **KEYS)
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()

"""Kendra engine: Retrieve and sts:AssumeRole requests checked by botocore's Stubber (API models)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_fakes import KEYS, stubbed
from botocore.stub import Stubber
from chatbot_app.rag.engines.base import EngineError, RetrievalQuery
from chatbot_app.rag.engines.kendra import AssumedRole, KendraEngine, kendra_filter
from chatbot_app.rag.filters import Equals, In, Range

INDEX_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ROLE = "arn:aws:iam::210987654321:role/chatbot-kendra-reader"
WS = uuid.uuid4()


def client(service: str) -> Any:
    return boto3.client(service, region_name="eu-west-1", **KEYS)


@pytest.fixture()
def kendra() -> Iterator[tuple[Any, Stubber]]:
    with stubbed("kendra", "eu-west-1") as pair:
        yield pair


ITEM = {"Id": "r1", "DocumentId": "s3://bucket/handbook.pdf", "DocumentTitle": "Handbook",
        "Content": "Holidays are 25 days.", "DocumentURI": "https://intranet.example.com/handbook.pdf",
        "DocumentAttributes": [{"Key": "_excerpt_page_number", "Value": {"LongValue": 7}}],
        "ScoreAttributes": {"ScoreConfidence": "HIGH"}}


def test_retrieve_sends_the_query_with_filters_and_user_context(kendra: tuple[Any, Stubber]) -> None:
    c, stub = kendra
    filters = [Equals(key="_language_code", value="en"), In(key="year", values=[2023, 2024.0]),
               Range(key="_created_at", gte="2024-01-01T00:00:00")]
    expected = {
        "IndexId": INDEX_ID, "QueryText": "how many holidays?", "PageSize": 3,
        "AttributeFilter": {"AndAllFilters": [
            {"EqualsTo": {"Key": "_language_code", "Value": {"StringValue": "en"}}},
            {"OrAllFilters": [{"EqualsTo": {"Key": "year", "Value": {"LongValue": 2023}}},
                              {"EqualsTo": {"Key": "year", "Value": {"LongValue": 2024}}}]},
            {"GreaterThanOrEquals": {"Key": "_created_at",
                                     "Value": {"DateValue": datetime(2024, 1, 1, tzinfo=UTC)}}}]},
        "UserContext": {"UserId": "alice", "Groups": ["hr"]},
    }
    stub.add_response("retrieve", {"QueryId": "q1", "ResultItems": [ITEM, {**ITEM, "Id": "r2",
                      "ScoreAttributes": {"ScoreConfidence": "LOW"}, "DocumentTitle": ""}]}, expected)
    engine = KendraEngine(INDEX_ID, client=c)
    passages = engine.retrieve(RetrievalQuery(WS, "how many holidays?", k=3, filters=filters),
                               user_context={"UserId": "alice", "Groups": ["hr"]})
    first, second = passages
    assert (first.text, first.score, first.source) == ("Holidays are 25 days.", 0.75, "Handbook")
    assert first.document_id == "s3://bucket/handbook.pdf"
    assert first.location == {"url": "https://intranet.example.com/handbook.pdf", "page": 7}
    assert second.score == 0.25 and second.source == ITEM["DocumentURI"]  # no title: the URI


def test_retrieve_without_filters_sends_no_attribute_filter(kendra: tuple[Any, Stubber]) -> None:
    c, stub = kendra
    stub.add_response("retrieve", {"ResultItems": []},
                      {"IndexId": INDEX_ID, "QueryText": "q", "PageSize": 5})
    assert KendraEngine(INDEX_ID, client=c).retrieve(RetrievalQuery(WS, "q")) == []


@pytest.mark.parametrize(("code", "status", "retryable"), [
    ("ThrottlingException", 400, True), ("InternalServerException", 500, True),
    ("AccessDeniedException", 403, False), ("ResourceNotFoundException", 404, False),
])
def test_errors_map_to_engine_errors(kendra: tuple[Any, Stubber], code: str, status: int,
                                     retryable: bool) -> None:
    c, stub = kendra
    stub.add_client_error("retrieve", code, "Value 'secret question' at 'queryText'", status)
    with pytest.raises(EngineError) as info:
        KendraEngine(INDEX_ID, client=c).retrieve(RetrievalQuery(WS, "secret question"))
    assert info.value.retryable is retryable
    assert code in str(info.value) and "secret" not in str(info.value)


@pytest.mark.parametrize("bad", [
    Equals(key="flag", value=True), Equals(key="ratio", value=0.5), Equals(key="name", value=""),
    Range(key="title", gt="not a date"), In(key="x", values=["a", False]),
])
def test_filters_kendra_cannot_express_are_refused(bad: Any) -> None:
    with pytest.raises(EngineError, match="filter on"):
        kendra_filter([bad])


def test_single_filters_are_not_wrapped() -> None:
    assert kendra_filter([]) is None
    assert kendra_filter([In(key="lang", values=["en"])]) == \
        {"EqualsTo": {"Key": "lang", "Value": {"StringValue": "en"}}}
    assert kendra_filter([Range(key="n", gt=1, lte=9)]) == {"AndAllFilters": [
        {"GreaterThan": {"Key": "n", "Value": {"LongValue": 1}}},
        {"LessThanOrEquals": {"Key": "n", "Value": {"LongValue": 9}}}]}
    with pytest.raises(EngineError):
        kendra_filter([Equals.model_construct(key="a b", value="x")])


def credentials(n: int, expires: datetime) -> dict[str, Any]:
    return {"Credentials": {"AccessKeyId": f"ASIAROLEKEY{n:05d}", "SecretAccessKey": f"secret-{n}",
                            "SessionToken": f"token-{n}", "Expiration": expires}}


def test_cross_account_role_is_assumed_cached_and_refreshed(kendra: tuple[Any, Stubber]) -> None:
    c, kendra_stub = kendra
    sts = client("sts")
    now = [datetime(2025, 1, 1, 12, 0, tzinfo=UTC)]
    assume = {"RoleArn": ROLE, "RoleSessionName": "chatbot-retrieval", "DurationSeconds": 3600,
              "ExternalId": "ext-1234"}
    built: list[dict[str, str]] = []

    def factory(creds: dict[str, str]) -> Any:
        built.append(creds)
        return c

    with Stubber(sts) as sts_stub:
        sts_stub.add_response("assume_role", credentials(1, now[0] + timedelta(hours=1)), assume)
        sts_stub.add_response("assume_role", credentials(2, now[0] + timedelta(hours=2)), assume)
        role = AssumedRole(ROLE, "ext-1234", sts_client=sts, clock=lambda: now[0])
        engine = KendraEngine(INDEX_ID, role=role, client_factory=factory)
        for _ in range(3):
            kendra_stub.add_response("retrieve", {"ResultItems": []},
                                     {"IndexId": INDEX_ID, "QueryText": "q", "PageSize": 5})
        engine.retrieve(RetrievalQuery(WS, "q"))
        now[0] += timedelta(minutes=50)  # still 10 minutes left: the cached credentials serve
        engine.retrieve(RetrievalQuery(WS, "q"))
        assert len(built) == 1
        now[0] += timedelta(minutes=6)  # inside the 5-minute margin: assume the role again
        engine.retrieve(RetrievalQuery(WS, "q"))
        sts_stub.assert_no_pending_responses()
    assert built == [
        {"aws_access_key_id": "ASIAROLEKEY00001", "aws_secret_access_key": "secret-1",
         "aws_session_token": "token-1"},
        {"aws_access_key_id": "ASIAROLEKEY00002", "aws_secret_access_key": "secret-2",
         "aws_session_token": "token-2"},
    ]


def test_assume_role_failure_is_an_engine_error() -> None:
    sts = client("sts")
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", "AccessDenied", "not authorized", 403)
        role = AssumedRole(ROLE, "ext-1234", sts_client=sts)
        with pytest.raises(EngineError, match="AssumeRole failed: AccessDenied") as info:
            KendraEngine(INDEX_ID, role=role, client_factory=lambda creds: None).retrieve(
                RetrievalQuery(WS, "q"))
    assert not info.value.retryable


@pytest.mark.parametrize("kwargs", [{"role_arn": "not-an-arn"}, {"role_arn": ROLE, "duration": 60},
                                    {"role_arn": ROLE, "session_name": "bad name"}])
def test_role_configuration_is_validated(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        AssumedRole(**kwargs)


def test_index_id_is_validated() -> None:
    with pytest.raises(ValueError):
        KendraEngine("../../other")

"""KnowledgeBaseAccess: validated ids, their ARNs and bedrock:Retrieve on exactly those knowledge bases."""

from __future__ import annotations

import pulumi
import pytest

from components.knowledge_base_access import KnowledgeBaseAccess, knowledge_base_arn
from components.lambda_function import check_statement

from .conftest import ACCOUNT_ID

KB_A, KB_B = "ABCDEF1234", "0123456789"



def test_statement_is_retrieve_on_exactly_the_attached_knowledge_bases(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")
    access = KnowledgeBaseAccess((KB_A, KB_B), region="eu-west-1")
    statements = harness.run(lambda: access.statements(pulumi.Output.from_input("aws"), ACCOUNT_ID))
    arns = [f"arn:aws:bedrock:eu-west-1:{ACCOUNT_ID}:knowledge-base/{kb}" for kb in (KB_A, KB_B)]
    assert statements == [{"Sid": "RetrieveFromKnowledgeBases", "Effect": "Allow",
                           "Action": ["bedrock:Retrieve"], "Resource": arns}]
    check_statement(statements[0])
    assert harness.resources == []  # attaching creates nothing


def test_arns_follow_the_partition() -> None:
    assert knowledge_base_arn("aws-us-gov", "us-gov-west-1", ACCOUNT_ID, KB_A) == (
        f"arn:aws-us-gov:bedrock:us-gov-west-1:{ACCOUNT_ID}:knowledge-base/{KB_A}")


@pytest.mark.parametrize(("ids", "region", "field"), [
    ((), "eu-west-1", "knowledge_base_ids"),
    (("abcdef1234",), "eu-west-1", "knowledge_base_ids"),  # lower case
    (("ABCDEF123",), "eu-west-1", "knowledge_base_ids"),  # 9 characters
    (("ABCDEF1234*",), "eu-west-1", "knowledge_base_ids"),
    ((KB_A, KB_A), "eu-west-1", "knowledge_base_ids"),
    ((KB_A,), "*", "region"),
])
def test_bad_arguments_are_refused_naming_the_field(ids: tuple[str, ...], region: str, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        KnowledgeBaseAccess(ids, region=region)

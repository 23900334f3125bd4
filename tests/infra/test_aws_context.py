"""components/aws_context.py: the account/partition lookup and the ARNs built from them."""

import pulumi

from components.aws_context import AwsContext

from .conftest import ACCOUNT_ID


def test_log_group_arn_from_the_callers_account_and_partition(pulumi_mocks) -> None:
    harness = pulumi_mocks("prod")

    def program() -> pulumi.Output:
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        context = AwsContext.of(parent)
        return pulumi.Output.all(context.log_group_arn("eu-west-1", "/aws/lambda/fn"),
                                 context.log_group_arn("eu-west-1"))

    named, prefix = harness.run(program)
    assert named == f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:/aws/lambda/fn"
    assert prefix == f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:"
    assert {token for token, _ in harness.mocks.calls} >= {
        "aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getPartition:getPartition"}

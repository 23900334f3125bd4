"""Bedrock guardrails, defence in depth (SEC-BEDROCK-GUARDRAILS): ``bedrock-guardrail-condition``.

IAM statements that allow ``bedrock:InvokeModel*`` / ``bedrock:Converse*`` should require the
``bedrock:GuardrailIdentifier`` condition key. Advisory; see ``bedrock.py`` for why and for the
enforced stack rule.
"""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..metadata import RuleMeta, resource_policy
from ..policy_documents import (
    PERMISSION_DOCUMENTS,
    DocumentError,
    documents,
    parse_document,
)
from ..props import Known
from .bedrock import INVOKE_ACTIONS, grants, retrieval_models_only

CONDITION_KEY = "bedrock:guardrailidentifier"


CONDITION_META = RuleMeta(
    name="bedrock-guardrail-condition",
    description=(
        "Defence in depth for SEC-BEDROCK-GUARDRAILS: IAM statements that allow bedrock:InvokeModel* or "
        "bedrock:Converse* require the bedrock:GuardrailIdentifier condition key, so a call without the "
        "guardrail is denied by IAM. Advisory, because embedding and rerank calls use the same actions "
        "without a guardrail: give them a separate statement scoped to those model ARNs."
    ),
    severity="medium",
    catalogue_level="advisory",
    catalogue_ids=("SEC-BEDROCK-GUARDRAILS",),
    resource_types=tuple(PERMISSION_DOCUMENTS),
    remediation=(
        "Add \"Condition\": {\"StringEquals\": {\"bedrock:GuardrailIdentifier\": "
        "\"<guardrail ARN>:<version>\"}} "
        "to the statement that allows bedrock:InvokeModel*/Converse* on text-generation models, and move "
        "embedding/rerank model ARNs to a statement of their own."
    ),
    url="https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html",
)


def validate_condition(args: ResourceValidationArgs, report: ReportViolation) -> None:
    pending: list[str] = []
    for path, found in documents(args.resource_type, args.props):
        if not isinstance(found, Known):
            pending.append(path)
            continue
        try:
            statements = parse_document(found.value)
        except DocumentError:
            continue
        for index, statement in enumerate(statements):
            actions = grants(statement, INVOKE_ACTIONS)
            keys = {key.lower() for block in statement.conditions.values() for key in dict(block)}
            if actions and CONDITION_KEY not in keys and not retrieval_models_only(statement):
                report(f"{path} {statement.label(index)} allows {', '.join(actions)} without the "
                       "bedrock:GuardrailIdentifier condition key.", None)
    if pending:
        raise UnknownValueError(UNKNOWN_STRING_VALUE, [pending[0]])


POLICIES = [resource_policy(CONDITION_META, validate_condition)]

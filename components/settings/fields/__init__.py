"""The settings fields, one pydantic mixin per bounded context. `CONTEXTS` is the documentation order."""

from components.settings.fields.chat import ChatFields
from components.settings.fields.edge import EdgeFields, PrivateWebsiteFields
from components.settings.fields.engines import RagEngineFields
from components.settings.fields.guardrail import GuardrailFields
from components.settings.fields.identity import IdentityFields
from components.settings.fields.models import SelfHostedModelFields
from components.settings.fields.network import NetworkFields
from components.settings.fields.operations import OperationsFields
from components.settings.fields.rag import RagFields
from components.settings.fields.stack import RegionFields, StackFields

CONTEXTS = (
    StackFields,
    EdgeFields,
    RegionFields,
    NetworkFields,
    IdentityFields,
    ChatFields,
    OperationsFields,
    PrivateWebsiteFields,
    RagFields,
    GuardrailFields,
    RagEngineFields,
    SelfHostedModelFields,
)

__all__ = [
    "CONTEXTS",
    "ChatFields",
    "EdgeFields",
    "GuardrailFields",
    "IdentityFields",
    "NetworkFields",
    "OperationsFields",
    "PrivateWebsiteFields",
    "RagEngineFields",
    "RagFields",
    "RegionFields",
    "SelfHostedModelFields",
    "StackFields",
]

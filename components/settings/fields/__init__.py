"""The settings fields, one pydantic mixin per bounded context. `CONTEXTS` is the documentation order."""

from components.settings.fields.chat import ChatFields
from components.settings.fields.edge import EdgeFields, PrivateWebsiteFields
from components.settings.fields.identity import IdentityFields
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
)

__all__ = [
    "CONTEXTS",
    "ChatFields",
    "EdgeFields",
    "IdentityFields",
    "NetworkFields",
    "OperationsFields",
    "PrivateWebsiteFields",
    "RagFields",
    "RegionFields",
    "StackFields",
]

"""ChatApi (two phases: construct, then connect) and its pure building blocks, tested without Pulumi."""

from components.chat_api.args import (
    ACCESS_LOG_FORMAT,
    FUNCTIONS,
    SELECTS_MODELS,
    TABLES,
    WS_ROUTES,
    ChatApiArgs,
    ChatApiConnection,
    FunctionSpec,
    RetrievalAccess,
    SelfHostedAccess,
)
from components.chat_api.component import ChatApi
from components.chat_api.iam import (
    TABLE_ACCESS,
    api_gateway_logs_statements,
    data_key_statement,
    invoke_statements,
    is_inference_profile,
    list_models_statement,
    model_arns,
    table_statements,
)
from components.chat_api.rest import chat_rate_limit
from components.chat_api.routes import OPENAPI, RestRoute, draft4, load_routes

__all__ = [
    "ACCESS_LOG_FORMAT",
    "FUNCTIONS",
    "OPENAPI",
    "SELECTS_MODELS",
    "TABLES",
    "TABLE_ACCESS",
    "WS_ROUTES",
    "ChatApi",
    "ChatApiArgs",
    "ChatApiConnection",
    "FunctionSpec",
    "RestRoute",
    "RetrievalAccess",
    "SelfHostedAccess",
    "api_gateway_logs_statements",
    "chat_rate_limit",
    "data_key_statement",
    "draft4",
    "invoke_statements",
    "is_inference_profile",
    "list_models_statement",
    "load_routes",
    "model_arns",
    "table_statements",
]

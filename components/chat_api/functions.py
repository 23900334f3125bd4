"""The chat functions: environment per the app contract (app/README.md) and least-privilege policies."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.chat_api.args import (
    FUNCTIONS,
    SELECTS_MODELS,
    TABLES,
    USES_RETRIEVAL,
    WORKER_MAX_EVENT_AGE_SECONDS,
)
from components.chat_api.context import BuildContext
from components.chat_api.iam import (
    INVOKES_MODELS,
    LISTS_MODELS,
    TABLE_ACCESS,
    data_key_statement,
    invoke_statements,
    list_models_statement,
    model_arns,
    table_statements,
)
from components.iam_statements import key_via_service_statement
from components.lambda_function import AppFunction, AppFunctionArgs
from components.naming import resource_name
from components.retrieval import UPLOAD_PREFIX


def environment(
    ctx: BuildContext, fn: str, functions: dict[str, AppFunction]
) -> dict[str, pulumi.Input[str]]:
    args, conn = ctx.args, ctx.connection
    env: dict[str, pulumi.Input[str]] = {f"{t.upper()}_TABLE": args.table_names[t] for t in TABLES}
    env.update({
        "USER_POOL_ID": conn.user_pool_id,
        "USER_POOL_CLIENT_ID": conn.user_pool_client_id,
        "ADMIN_GROUP": args.admin_group,
        "BEDROCK_REGION": args.bedrock_region,
        "QUOTA_MESSAGES_PER_DAY": str(args.quota_messages_per_day),
        "QUOTA_TOKENS_PER_DAY": str(args.quota_tokens_per_day),
        "MAX_MESSAGE_CHARS": str(args.max_message_chars),
        "ALLOWED_ORIGIN": conn.allowed_origin,
    })
    if args.bedrock_models:  # the app's fallback default model may not be one the role may invoke
        env["DEFAULT_MODEL_ID"] = args.bedrock_models[0]
        if fn in SELECTS_MODELS:  # unset means every model (what the role then allows too)
            env["ALLOWED_MODELS"] = ",".join(args.bedrock_models)
    if args.guardrail_arn is not None and args.guardrail_version is not None:
        env["GUARDRAIL_ID"] = args.guardrail_arn  # the ARN: what the IAM condition below compares
        env["GUARDRAIL_VERSION"] = args.guardrail_version
    if fn == "rest":
        env["CHAT_WORKER_FUNCTION"] = functions["chat_worker"].function_name
    if args.self_hosted is not None and (fn in SELECTS_MODELS or fn in INVOKES_MODELS):
        env["SAGEMAKER_MODELS"] = args.self_hosted.app_models
    rag = args.retrieval
    if rag is not None and fn in USES_RETRIEVAL:
        env["RAG_FUNCTION"] = rag.rag_function_name
        if fn == "rest":
            env.update(UPLOADS_BUCKET=rag.uploads_bucket_name, MAX_UPLOAD_BYTES=str(rag.max_upload_bytes),
                       UPLOAD_FORMATS=",".join(rag.upload_formats),
                       WORKSPACE_MANAGER_GROUP=rag.workspace_manager_group)
            if rag.uploads_kms_key_arn is not None:
                env["UPLOADS_KMS_KEY_ARN"] = rag.uploads_kms_key_arn
            env.update(rag.engines_environment)
            if rag.crawler_function_name is not None:
                env.update(CRAWLER_FUNCTION_NAME=rag.crawler_function_name,
                           CRAWLER_MAX_PAGES=str(rag.crawler_max_pages))
        else:
            env["RAG_TOP_K"] = str(rag.top_k)
    return env


def retrieval_statements(ctx: BuildContext, fn: str) -> list[dict[str, Any]]:
    """Calling the rag service; for the REST function also signing uploads into the workspace prefix."""
    args, rag = ctx.args, ctx.args.retrieval
    if rag is None or fn not in USES_RETRIEVAL:
        return []
    aws_context = AwsContext(ctx.account, ctx.partition)
    rag_arn = aws_context.function_arn(args.region, rag.rag_function_name)
    result: list[dict[str, Any]] = [{"Sid": "CallRagService", "Effect": "Allow",
                                     "Action": ["lambda:InvokeFunction"], "Resource": [rag_arn]}]
    if fn == "rest":
        # A presigned POST carries the REST role's credentials: it may only write under workspaces/.
        result.append({"Sid": "SignWorkspaceUploads", "Effect": "Allow", "Action": ["s3:PutObject"],
                       "Resource": [pulumi.Output.concat("arn:", ctx.partition, ":s3:::",
                                                         rag.uploads_bucket_name, f"/{UPLOAD_PREFIX}*")]})
        if rag.uploads_kms_key_arn is not None:
            result.append(key_via_service_statement("UploadsKeyThroughS3", rag.uploads_kms_key_arn, "s3",
                                                    args.region, ["kms:GenerateDataKey"]))
        if rag.crawler_function_name is not None:
            result.append({"Sid": "StartCrawls", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                           "Resource": [aws_context.function_arn(args.region, rag.crawler_function_name)]})
    return result


def statements(ctx: BuildContext, fn: str) -> list[Any]:
    """Plain statements (dicts) and, for the worker, the model statements as an Output of a list."""
    args = ctx.args
    result: list[Any] = table_statements(fn, args.table_arns)
    result.extend(retrieval_statements(ctx, fn))
    if args.data_kms_key_arn is not None and TABLE_ACCESS[fn]:
        result.append(data_key_statement(args.data_kms_key_arn, args.region))
    if fn in LISTS_MODELS:
        result.append(list_models_statement())
    if fn == "rest":
        # Built from known parts (not function.arn) so the policy is readable at preview.
        worker = resource_name(args.prefix, args.stack, FUNCTIONS["chat_worker"].role, max_length=64)
        worker_arn = AwsContext(ctx.account, ctx.partition).function_arn(args.region, worker)
        result.append({"Sid": "StartChatWorker", "Effect": "Allow",
                       "Action": ["lambda:InvokeFunction"], "Resource": [worker_arn]})
    if fn in INVOKES_MODELS:
        arns = pulumi.Output.all(ctx.partition, ctx.account).apply(
            lambda pa: model_arns(pa[0], args.bedrock_region, pa[1], args.bedrock_models)
        )
        guardrail = None
        if args.guardrail_arn is not None and args.guardrail_version is not None:
            guardrail = pulumi.Output.concat(args.guardrail_arn, ":", args.guardrail_version)
            result.append({"Sid": "ApplyGuardrail", "Effect": "Allow",
                           "Action": ["bedrock:ApplyGuardrail"], "Resource": [args.guardrail_arn]})
        invoke = pulumi.Output.all(arns, guardrail).apply(lambda ag: invoke_statements(ag[0], ag[1]))
        result.append({
            "Sid": "PostToOwnConnections", "Effect": "Allow", "Action": ["execute-api:ManageConnections"],
            "Resource": [pulumi.Output.concat(
                ctx.websocket_api.execution_arn, f"/{args.stage_name}/POST/@connections/*")],
        })
        if args.self_hosted is not None:
            return [*result, invoke, args.self_hosted.invoke_statements]
        return [*result, invoke]
    return result


def create_functions(ctx: BuildContext) -> dict[str, AppFunction]:
    """Every function of FUNCTIONS, in order (the worker exists before the REST function names it)."""
    args = ctx.args
    functions: dict[str, AppFunction] = {}
    for fn, spec in FUNCTIONS.items():
        parts = statements(ctx, fn)
        functions[fn] = AppFunction(
            f"{ctx.name}-{spec.role}",
            AppFunctionArgs(
                prefix=args.prefix, stack=args.stack, region=args.region, role=spec.role,
                handler=spec.handler, code=args.code, log_retention_days=args.log_retention_days,
                logs_kms_key_arn=args.logs_kms_key_arn, retain=args.retain, xray_tracing=args.xray_tracing,
                statements=[s for s in parts if isinstance(s, dict)],
                extra_statements=[s for s in parts if not isinstance(s, dict)],  # lists, as Outputs
                environment=environment(ctx, fn, functions),
                memory_mb=spec.memory_mb, timeout_seconds=spec.timeout_seconds,
            ),
            opts=ctx.opts(),
        )
    aws.lambda_.FunctionEventInvokeConfig(
        f"{ctx.name}-chat-worker-invoke-config",
        function_name=functions["chat_worker"].function_name,
        # The worker reports failures to the browser itself; a retry would be a second billed answer.
        maximum_retry_attempts=0,
        maximum_event_age_in_seconds=WORKER_MAX_EVENT_AGE_SECONDS,
        opts=ctx.opts(),
    )
    return functions

"""Wires the stack's components together from the validated settings.

The order breaks the one cycle the stack has: the website's CSP names the APIs' origins and the APIs
name the website's origin (CORS, the Cognito callback, the uploads bucket's CORS). Only resource IDs
cross that line, so ChatApi is built in two phases: the API resources first, then everything that
needs the website's origin (`connect`).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.chat_api import ChatApi, ChatApiArgs, ChatApiConnection, SelfHostedAccess
from components.data_tables import DataTables, DataTablesArgs
from components.devtools import STUDIO_INTERFACE_ENDPOINTS, DevTools, DevToolsArgs
from components.firewall import WebFirewall, WebFirewallArgs
from components.guardrail import Guardrail, GuardrailArgs
from components.identity import SCOPES, Identity, IdentityArgs, derived_domain_prefix
from components.network import Network, NetworkArgs
from components.observability import AlarmThresholds, Observability, ObservabilityArgs
from components.packaging import app_archive
from components.private_website import (
    PrivateWebsite,
    PrivateWebsiteArgs,
    load_balancer_log_delivery_statement,
)
from components.retrieval import INTERFACE_ENDPOINTS as RAG_INTERFACE_ENDPOINTS
from components.retrieval_engines import interface_endpoints as engine_interface_endpoints
from components.secure_bucket import SecureBucket, SecureBucketArgs
from components.self_hosted_models import SelfHostedModels, SelfHostedModelsArgs
from components.settings import StackSettings
from components.site_content import RuntimeConfig, SiteContent, SiteContentArgs
from components.stack_keys import EDGE_REGION, StackKeys, stack_keys
from components.stack_retrieval import build_retrieval
from components.tagging import register_tagging
from components.website import Website, WebsiteArgs


def _auth_origin(settings: StackSettings) -> pulumi.Output[str]:
    """The Cognito hosted UI's origin, which the SPA calls for tokens (so the CSP must admit it)."""
    prefix = (
        pulumi.Output.from_input(settings.auth_domain_prefix)
        if settings.auth_domain_prefix
        else (
            aws.get_caller_identity_output().account_id.apply(
                lambda account: derived_domain_prefix(settings.prefix, settings.stack, account)
            )
        )
    )
    return pulumi.Output.concat("https://", prefix, ".auth.", settings.region, ".amazoncognito.com")


def _self_hosted(settings: StackSettings, network: Network, keys: StackKeys) -> SelfHostedModels | None:
    if not settings.self_hosted_models:
        return None
    return SelfHostedModels("models", SelfHostedModelsArgs(
        prefix=settings.prefix, stack=settings.stack, region=settings.region, vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids, models=settings.self_hosted_models,
        kms_key_arn=keys.data, logs_kms_key_arn=keys.logs, log_retention_days=settings.log_retention_days,
        development=settings.is_dev, retain=settings.retain_data,
        schedule=settings.self_hosted_idle_schedule))


def build_stack(
    settings: StackSettings, code: pulumi.Input[pulumi.Archive] | None = None
) -> dict[str, pulumi.Output]:
    """Create every resource of the stack; returns the stack outputs to export."""
    register_tagging(settings)
    code = code if code is not None else app_archive()
    retain = settings.retain_data
    edge = aws.Provider(EDGE_REGION, region=EDGE_REGION)
    bedrock = (
        aws.Provider("bedrock", region=settings.bedrock_region)
        if settings.bedrock_region != settings.region
        else None
    )
    keys = stack_keys(settings, edge, bedrock)

    access_logs = SecureBucket(
        "access-logs",
        SecureBucketArgs(
            purpose="access-logs",
            kms_key_arn=None,
            access_log_bucket=None,
            retain=retain,
            defer_policy=settings.private_website,
        ),
    )
    endpoints = (STUDIO_INTERFACE_ENDPOINTS if settings.dev_tools else ()) + (
        RAG_INTERFACE_ENDPOINTS + engine_interface_endpoints(settings) if settings.rag_enabled else ())
    endpoints = tuple(dict.fromkeys(endpoints))  # dev tools and a cross-account Kendra role both need sts
    network = Network(
        "network", NetworkArgs.from_settings(settings, keys.logs, interface_endpoints=endpoints)
    )
    if settings.dev_tools:
        DevTools(
            "devtools",
            DevToolsArgs(
                prefix=settings.prefix,
                stack=settings.stack,
                region=settings.region,
                environment=settings.environment,
                vpc_id=network.vpc_id,
                vpc_cidr=network.vpc_cidr,
                subnet_ids=network.private_subnet_ids,
                kms_key_arn=None,
                retain=retain,
            ),
        )

    tables = DataTables("data", DataTablesArgs(keys.data, access_logs.bucket_name, None, retain))
    guardrail = Guardrail(
        "guardrail",
        GuardrailArgs.from_settings(settings, keys.bedrock_data),
        opts=pulumi.ResourceOptions(providers={"aws": bedrock}) if bedrock else None,
    )
    retrieval = build_retrieval(settings, code, keys, network, tables) if settings.rag_enabled else None
    models = _self_hosted(settings, network, keys)
    api = ChatApi(
        "chat",
        ChatApiArgs.from_settings(
            settings,
            code=code,
            table_names=tables.table_names,
            table_arns=tables.table_arns,
            logs_kms_key_arn=keys.logs,
            data_kms_key_arn=keys.data,
            guardrail_arn=guardrail.guardrail_arn,
            guardrail_version=guardrail.guardrail_version,
            retrieval=retrieval.access if retrieval is not None else None,
            self_hosted=SelfHostedAccess(models.app_models, models.invoke_statements()) if models else None,
        ),
    )
    auth_origin = _auth_origin(settings)
    connect_origins: tuple[pulumi.Input[str], ...] = (api.rest_origin, api.websocket_origin, auth_origin)
    if retrieval is not None:
        # Uploads are presigned POSTs straight to the bucket's regional virtual-hosted endpoint.
        connect_origins += (pulumi.Output.concat(
            "https://", tables.uploads_bucket.bucket_name, ".s3.", settings.region, ".amazonaws.com"),)

    outputs: dict[str, pulumi.Output] = {}
    private_site: PrivateWebsite | None = None
    if settings.private_website:
        account = aws.get_caller_identity_output().account_id
        log_policy = access_logs.attach_policy(
            [load_balancer_log_delivery_statement(access_logs.arn, settings.region, account)]
        )
        private_site = PrivateWebsite(
            "website",
            PrivateWebsiteArgs(
                prefix=settings.prefix,
                stack=settings.stack,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                allowed_cidrs=settings.private_website_cidrs,
                certificate_arn=settings.private_website_certificate_arn or "",
                access_log_bucket=access_logs.bucket_name,
                content_kms_key_arn=keys.data,
                logs_kms_key_arn=keys.logs,
                log_retention_days=settings.log_retention_days,
                retain=retain,
                code=code,
                xray_tracing=settings.xray_tracing,
                access_log_policy=log_policy,
            ),
        )
        url = private_site.url
        outputs["contentBucketName"] = private_site.content_bucket.bucket_name
    else:
        firewall = WebFirewall(
            "edge-firewall",
            WebFirewallArgs(
                prefix=settings.prefix,
                stack=settings.stack,
                scope="CLOUDFRONT",
                rate_limit=settings.rate_limit_per_ip,
                window_seconds=settings.rate_limit_window_seconds,
                geo_allowlist=settings.geo_allowlist,
                log_retention_days=settings.log_retention_days,
                logs_kms_key_arn=keys.edge_logs,
                retain=retain,
            ),
            opts=pulumi.ResourceOptions(providers={"aws": edge}),
        )
        website = Website(
            "website",
            WebsiteArgs(
                prefix=settings.prefix,
                stack=settings.stack,
                content_kms_key_arn=keys.data,
                access_log_bucket=access_logs.bucket_name,
                retain=retain,
                web_acl_arn=firewall.web_acl_arn,
                custom_domain=settings.custom_domain,
                certificate_arn=settings.certificate_arn,
                minimum_tls_version=settings.minimum_tls_version,
                geo_allowlist=settings.geo_allowlist,
                connect_origins=connect_origins,
            ),
        )
        url = website.url
        outputs.update(
            distributionId=website.distribution.id,
            edgeWebAclArn=firewall.web_acl_arn,
            contentBucketName=website.content_bucket.bucket_name,
        )

    identity = Identity("identity", IdentityArgs.from_settings(settings, [url], code, keys.logs))
    api.connect(
        ChatApiConnection(
            user_pool_id=identity.user_pool_id,
            user_pool_arn=identity.user_pool_arn,
            user_pool_client_id=identity.client_id,
            allowed_origin=url,
        )
    )
    tables.allow_uploads_from(url)
    SiteContent("site", SiteContentArgs(
        bucket_name=outputs["contentBucketName"],
        config=RuntimeConfig(
            mode="aws", api_url=api.rest_api_url, websocket_url=api.websocket_url,
            client_id=identity.client_id, hosted_ui_domain=identity.hosted_ui_domain, site_url=url,
            scopes=SCOPES,
            embedding_models=tuple(settings.rag_embedding_models) if settings.rag_enabled else (),
        ),
    ))
    if private_site is not None:
        private_site.attach_server(list(connect_origins))

    function_names = dict(api.function_names)
    dead_letter_queues: dict[str, pulumi.Input[str]] = {}
    if retrieval is not None:
        function_names.update(rag=retrieval.component.rag_function.function_name,
                              doc_processor=retrieval.component.processor.function_name)
        dead_letter_queues["ingest"] = retrieval.component.dead_letter_queue.name
        if retrieval.crawler is not None:
            function_names["web_crawler"] = retrieval.crawler.function.function_name
    observability = Observability(
        "observability",
        ObservabilityArgs(
            prefix=settings.prefix,
            stack=settings.stack,
            region=settings.region,
            function_names=function_names,
            rest_api_name=api.rest_api_name,
            rest_stage_name=api.stage_name,
            websocket_api_id=api.websocket_api_id,
            websocket_stage_name=api.stage_name,
            token_log_group_names={"chat_worker": api.log_group_names["chat_worker"]},
            alarm_email=settings.alarm_email,
            customer_managed_keys=settings.customer_managed_keys,
            retain=retain,
            thresholds=AlarmThresholds(tokens_per_hour=settings.quota_tokens_per_day),
            dead_letter_queue_names=dead_letter_queues,
        ),
    )

    outputs.update(
        websiteUrl=url,
        restApiUrl=api.rest_api_url,
        websocketUrl=api.websocket_url,
        userPoolId=identity.user_pool_id,
        userPoolClientId=identity.client_id,
        hostedUiDomain=identity.hosted_ui_domain,
        apiWebAclArn=api.web_acl_arn,
        uploadsBucketName=tables.uploads_bucket.bucket_name,
        accessLogBucketName=access_logs.bucket_name,
        alarmTopicArn=observability.topic_arn,
        dashboardName=observability.dashboard_name,
        vpcId=network.vpc_id,
    )
    if retrieval is not None:
        outputs.update(
            ragDatabaseEndpoint=retrieval.store.endpoint,
            ragDatabaseSecretArn=retrieval.store.master_secret_arn,
            ingestQueueUrl=retrieval.component.queue.url,
            ingestDeadLetterQueueName=retrieval.component.dead_letter_queue.name,
        )
        if retrieval.engines.opensearch is not None:
            outputs["opensearchCollectionEndpoint"] = retrieval.engines.opensearch.collection_endpoint
        if retrieval.engines.kendra:
            outputs["kendraIndexIds"] = pulumi.Output.all(
                *(index.index_ids for index in retrieval.engines.kendra)).apply(
                lambda lists: [i for ids in lists for i in ids])
        if retrieval.knowledge_base is not None:
            kb = retrieval.knowledge_base
            outputs.update(knowledgeBaseId=kb.knowledge_base_id, knowledgeBaseDataSourceId=kb.data_source_id,
                           knowledgeBaseIngestionPrefix=pulumi.Output.concat(
                               "s3://", tables.uploads_bucket.bucket_name, "/", kb.ingestion_prefix))
    if models is not None:
        outputs.update(selfHostedEndpoints=models.endpoint_names, selfHostedWeights=models.weights_sources)
    if guardrail.guardrail_arn is not None:
        outputs.update(
            guardrailArn=pulumi.Output.from_input(guardrail.guardrail_arn),
            guardrailVersion=pulumi.Output.from_input(guardrail.guardrail_version),
        )
    return outputs

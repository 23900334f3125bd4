"""Wires the stack's components together from the validated settings."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.firewall import WebFirewall, WebFirewallArgs
from components.keys import Keys, KeysArgs
from components.secure_bucket import SecureBucket, SecureBucketArgs
from components.settings import StackSettings
from components.tagging import register_tagging
from components.website import Website, WebsiteArgs

EDGE_REGION = "us-east-1"  # CloudFront-scope WAF ACLs (and their log groups) live only here


def build_stack(settings: StackSettings) -> dict[str, pulumi.Output[str]]:
    """Create every resource of the stack; returns the stack outputs to export."""
    register_tagging(settings)
    edge = aws.Provider(EDGE_REGION, region=EDGE_REGION)
    edge_opts = pulumi.ResourceOptions(providers={"aws": edge})
    retain = settings.retain_data

    data_key: pulumi.Output[str] | None = None
    edge_logs_key: pulumi.Output[str] | None = None
    if settings.customer_managed_keys:
        keys = Keys(
            "keys",
            KeysArgs(settings.prefix, settings.stack, ("data", "logs"), retain, settings.region),
        )
        edge_keys = Keys(
            "edge-keys",
            KeysArgs(settings.prefix, settings.stack, ("logs",), retain, EDGE_REGION),
            opts=edge_opts,
        )
        data_key = keys.key_arns["data"]
        edge_logs_key = edge_keys.key_arns["logs"]

    access_logs = SecureBucket(
        "access-logs",
        SecureBucketArgs(purpose="access-logs", kms_key_arn=None, access_log_bucket=None, retain=retain),
    )
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
            logs_kms_key_arn=edge_logs_key,
            retain=retain,
        ),
        opts=edge_opts,
    )
    website = Website(
        "website",
        WebsiteArgs(
            prefix=settings.prefix,
            stack=settings.stack,
            content_kms_key_arn=data_key,
            access_log_bucket=access_logs.bucket_name,
            retain=retain,
            web_acl_arn=firewall.web_acl_arn,
            custom_domain=settings.custom_domain,
            certificate_arn=settings.certificate_arn,
            minimum_tls_version=settings.minimum_tls_version,
            geo_allowlist=settings.geo_allowlist,
        ),
    )
    return {
        "websiteUrl": website.url,
        "distributionId": website.distribution.id,
        "webAclArn": firewall.web_acl_arn,
        "contentBucketName": website.content_bucket.bucket_name,
        "accessLogBucketName": access_logs.bucket_name,
    }

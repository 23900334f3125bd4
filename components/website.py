"""The static web UI: a private S3 bucket served only through CloudFront (OAC), WAF and security headers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.secure_bucket import SecureBucket, SecureBucketArgs
from components.security_headers import (
    FRAME_OPTION,
    HSTS_MAX_AGE_SECONDS,
    REFERRER_POLICY,
    content_security_policy,
)

CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS managed cache policy
_TLS_POLICY = re.compile(r"^TLSv1\.(2|3)_\d{4}$")  # refuses TLSv1, TLSv1_2016, TLSv1.1_2016, SSLv3
_ORIGIN_ID = "content"


@dataclass(frozen=True)
class WebsiteArgs:
    prefix: str
    stack: str
    content_kms_key_arn: pulumi.Input[str] | None
    access_log_bucket: pulumi.Input[str]
    retain: bool
    web_acl_arn: pulumi.Input[str]
    custom_domain: str | None = None
    certificate_arn: str | None = None
    minimum_tls_version: str | None = None
    geo_allowlist: tuple[str, ...] = ()
    # https/wss origins the page may call; Outputs allowed (API ids), checked when they resolve.
    connect_origins: tuple[pulumi.Input[str], ...] = ()

    def __post_init__(self) -> None:
        tls = (self.custom_domain, self.certificate_arn, self.minimum_tls_version)
        if any(v is None for v in tls) and any(v is not None for v in tls):
            raise ValueError("custom_domain, certificate_arn and minimum_tls_version are all set or all None")
        if self.minimum_tls_version is not None and not _TLS_POLICY.match(self.minimum_tls_version):
            raise ValueError(
                f"minimum_tls_version must be TLSv1.2_* or TLSv1.3_*, got {self.minimum_tls_version!r}"
            )
        content_security_policy([o for o in self.connect_origins if isinstance(o, str)])  # fail now if known

    @property
    def uses_custom_domain(self) -> bool:
        return self.custom_domain is not None


def _security_headers(
    connect_origins: Sequence[pulumi.Input[str]],
) -> aws.cloudfront.ResponseHeadersPolicySecurityHeadersConfigArgs:
    cf = aws.cloudfront
    return cf.ResponseHeadersPolicySecurityHeadersConfigArgs(
        strict_transport_security=cf.ResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurityArgs(
            access_control_max_age_sec=HSTS_MAX_AGE_SECONDS,
            include_subdomains=True,
            preload=True,
            override=True,
        ),
        content_security_policy=cf.ResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicyArgs(
            content_security_policy=pulumi.Output.all(*connect_origins).apply(content_security_policy),
            override=True,
        ),
        content_type_options=cf.ResponseHeadersPolicySecurityHeadersConfigContentTypeOptionsArgs(
            override=True
        ),
        frame_options=cf.ResponseHeadersPolicySecurityHeadersConfigFrameOptionsArgs(
            frame_option=FRAME_OPTION, override=True
        ),
        referrer_policy=cf.ResponseHeadersPolicySecurityHeadersConfigReferrerPolicyArgs(
            referrer_policy=REFERRER_POLICY, override=True
        ),
    )


def _viewer_certificate(args: WebsiteArgs) -> aws.cloudfront.DistributionViewerCertificateArgs:
    if args.uses_custom_domain:
        return aws.cloudfront.DistributionViewerCertificateArgs(
            acm_certificate_arn=args.certificate_arn,
            ssl_support_method="sni-only",
            minimum_protocol_version=args.minimum_tls_version,
        )
    # Dev relaxation allowed by settings: the *.cloudfront.net certificate (the policy pack reports it).
    return aws.cloudfront.DistributionViewerCertificateArgs(cloudfront_default_certificate=True)


def _restrictions(geo_allowlist: Sequence[str]) -> aws.cloudfront.DistributionRestrictionsArgs:
    geo = aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(
        restriction_type="whitelist" if geo_allowlist else "none", locations=list(geo_allowlist)
    )
    return aws.cloudfront.DistributionRestrictionsArgs(geo_restriction=geo)


class Website(pulumi.ComponentResource):
    distribution: aws.cloudfront.Distribution
    content_bucket: SecureBucket
    url: pulumi.Output[str]

    def __init__(self, name: str, args: WebsiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:website:Website", name, None, opts)
        cf = aws.cloudfront

        self.content_bucket = SecureBucket(
            f"{name}-content",
            SecureBucketArgs(
                purpose="website-content",
                kms_key_arn=args.content_kms_key_arn,
                access_log_bucket=args.access_log_bucket,
                retain=args.retain,
                defer_policy=True,  # the policy names the distribution, which needs the bucket first
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        oac = cf.OriginAccessControl(
            f"{name}-oac",
            description=f"{args.prefix} {args.stack} website content",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=pulumi.ResourceOptions(parent=self),
        )
        headers = cf.ResponseHeadersPolicy(
            f"{name}-security-headers",
            comment=f"{args.prefix} {args.stack} security headers",
            security_headers_config=_security_headers(args.connect_origins),
            opts=pulumi.ResourceOptions(parent=self),
        )
        spa_fallback = [
            cf.DistributionCustomErrorResponseArgs(
                error_code=code, response_code=200, response_page_path="/index.html", error_caching_min_ttl=10
            )
            for code in (403, 404)
        ]
        self.distribution = cf.Distribution(
            f"{name}-distribution",
            enabled=True,
            is_ipv6_enabled=True,
            comment=f"{args.prefix} {args.stack} web UI",
            aliases=[args.custom_domain] if args.custom_domain else None,
            default_root_object="index.html",
            http_version="http2and3",
            price_class="PriceClass_100",
            web_acl_id=args.web_acl_arn,
            origins=[
                cf.DistributionOriginArgs(
                    origin_id=_ORIGIN_ID,
                    domain_name=self.content_bucket.regional_domain_name,
                    origin_access_control_id=oac.id,
                )
            ],
            default_cache_behavior=cf.DistributionDefaultCacheBehaviorArgs(
                target_origin_id=_ORIGIN_ID,
                viewer_protocol_policy="redirect-to-https",
                allowed_methods=["GET", "HEAD", "OPTIONS"],
                cached_methods=["GET", "HEAD"],
                compress=True,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                response_headers_policy_id=headers.id,
            ),
            custom_error_responses=spa_fallback,
            restrictions=_restrictions(args.geo_allowlist),
            viewer_certificate=_viewer_certificate(args),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.content_bucket.attach_policy(
            [
                {
                    "Sid": "CloudFrontOriginAccessControlRead",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudfront.amazonaws.com"},
                    "Action": "s3:GetObject",
                    "Resource": pulumi.Output.concat(self.content_bucket.arn, "/*"),
                    "Condition": {"StringEquals": {"AWS:SourceArn": self.distribution.arn}},
                }
            ]
        )

        if args.custom_domain:
            self.url = pulumi.Output.from_input(f"https://{args.custom_domain}")
        else:
            self.url = self.distribution.domain_name.apply(lambda domain: f"https://{domain}")
        self.register_outputs(
            {
                "url": self.url,
                "distribution_id": self.distribution.id,
                "content_bucket_name": self.content_bucket.bucket_name,
            }
        )

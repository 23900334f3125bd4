"""The private website (SEC-PRIVATE-WEBSITE): an internal HTTPS load balancer instead of CloudFront.

Only networks in `allowed_cidrs` reach it (ports 443 and 80; 80 only answers with a redirect to HTTPS,
so a typed `http://` address still works and never carries content). The HTTPS listener uses a TLS 1.2+
policy and the regional ACM certificate, and its one target is a Lambda function that serves the web UI
from a private, encrypted content bucket with the same security headers as CloudFront's response headers
policy (components/security_headers.py). Access logs go to the stack's access-log bucket, whose policy
must admit Elastic Load Balancing log delivery: `load_balancer_log_delivery_statement` builds that
statement for `SecureBucket.attach_policy`.

Two steps, because the CSP names the API origins while the API's CORS names this site's origin: the
constructor creates the load balancer (so `url` is known), then `attach_server(connect_origins)` creates
the function with the CSP once the API exists.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.lambda_function import AppFunction, AppFunctionArgs
from components.secure_bucket import SecureBucket, SecureBucketArgs
from components.security_headers import (
    FRAME_OPTION,
    check_connect_origin,
    security_headers,
    strict_transport_security,
)

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"  # TLS 1.3 and 1.2 only
HANDLER = "chatbot_app.handlers.static_site.handler"
LOAD_BALANCER_LOG_PREFIX = "elb-access-logs/private-website"
LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"
_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:certificate/[0-9a-f-]{36}$")
_PORTS = (("https", 443), ("http", 80))

# Regions opened before August 2022 deliver ELB logs from these AWS accounts; later ones use
# LOG_DELIVERY_SERVICE (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
# enable-access-logging.html).
LEGACY_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "af-south-1": "098369216593", "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580", "ap-south-1": "718504428378", "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887", "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-south-1": "635631232127",
    "eu-west-3": "009996457667", "eu-north-1": "897822967062", "me-south-1": "076674570225",
    "sa-east-1": "507241528517", "us-gov-west-1": "048591011584", "us-gov-east-1": "190560391635",
}


def load_balancer_log_delivery_statement(
    bucket_arn: pulumi.Input[str], region: str, account_id: pulumi.Input[str]
) -> dict[str, Any]:
    """The access-log bucket policy statement that lets the load balancer write under its prefix only."""
    legacy = LEGACY_LOG_DELIVERY_ACCOUNTS.get(region)
    principal = {"AWS": f"arn:aws:iam::{legacy}:root"} if legacy else {"Service": LOG_DELIVERY_SERVICE}
    return {
        "Sid": "LoadBalancerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(
            bucket_arn, f"/{LOAD_BALANCER_LOG_PREFIX}/AWSLogs/", account_id, "/*"
        ),
    }


@dataclass(frozen=True)
class PrivateWebsiteArgs:
    prefix: str
    stack: str
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # private subnets in two or more AZs
    allowed_cidrs: tuple[str, ...]
    certificate_arn: str
    access_log_bucket: pulumi.Input[str]
    content_kms_key_arn: pulumi.Input[str] | None
    logs_kms_key_arn: pulumi.Input[str] | None
    log_retention_days: int
    retain: bool
    code: pulumi.Input[pulumi.Archive]
    xray_tracing: bool = False
    # The access-log bucket's policy: ELB checks it can write there when logging is switched on.
    access_log_policy: pulumi.Resource | None = None

    def __post_init__(self) -> None:
        if not self.allowed_cidrs:
            raise ValueError("allowed_cidrs must list at least one network (SEC-PRIVATE-WEBSITE)")
        for cidr in self.allowed_cidrs:
            try:
                network = ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise ValueError(f"allowed_cidrs: {cidr!r} is not a CIDR network with no host bits") from None
            if network.prefixlen == 0:
                raise ValueError(f"allowed_cidrs: {cidr} admits every address (SEC-PRIVATE-WEBSITE)")
        if not _CERTIFICATE.match(self.certificate_arn):
            raise ValueError(
                f"certificate_arn must be a regional ACM certificate ARN: {self.certificate_arn!r}"
            )


def decrypt_statements(content_key_arn: str | None) -> list[dict[str, Any]]:
    """Decrypting the site's objects, when a CMK encrypts them (known only once the key ARN resolves)."""
    if not content_key_arn:
        return []
    return [{"Sid": "DecryptSiteObjects", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": content_key_arn}]


class PrivateWebsite(pulumi.ComponentResource):
    content_bucket: SecureBucket
    security_group: aws.ec2.SecurityGroup
    load_balancer: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    https_listener: aws.lb.Listener
    http_listener: aws.lb.Listener
    server: AppFunction | None
    function: aws.lambda_.Function | None
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: PrivateWebsiteArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("chatbot:website:PrivateWebsite", name, None, opts)
        self._name = name
        self._args = args
        self.server = None
        self.function = None
        child = pulumi.ResourceOptions(parent=self)

        self.content_bucket = SecureBucket(
            f"{name}-content",
            SecureBucketArgs(purpose="website-content", kms_key_arn=args.content_kms_key_arn,
                             access_log_bucket=args.access_log_bucket, retain=args.retain),
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description=f"{args.prefix} {args.stack} private website: HTTPS and redirect, allowed CIDRs",
            opts=child,  # no egress rules: the load balancer invokes its Lambda target without the network
        )
        for index, cidr in enumerate(args.allowed_cidrs):
            v6 = ipaddress.ip_network(cidr).version == 6
            for role, port in _PORTS:
                aws.vpc.SecurityGroupIngressRule(
                    f"{name}-{role}-ingress-{index}",
                    security_group_id=self.security_group.id,
                    description=f"{role.upper()} from an allowed network",
                    ip_protocol="tcp", from_port=port, to_port=port,
                    cidr_ipv4=None if v6 else cidr, cidr_ipv6=cidr if v6 else None,
                    opts=child,
                )
        depends = [args.access_log_policy] if args.access_log_policy is not None else []
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb",
            internal=True,
            load_balancer_type="application",
            security_groups=[self.security_group.id],
            subnets=args.subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_http2=True,
            enable_deletion_protection=args.retain,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(
                bucket=args.access_log_bucket, prefix=LOAD_BALANCER_LOG_PREFIX, enabled=True
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-server", target_type="lambda", lambda_multi_value_headers_enabled=False, opts=child
        )
        self.https_listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=SSL_POLICY,
            certificate_arn=args.certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                               target_group_arn=self.target_group.arn)],
            # The load balancer's own responses (a 502, a 503) carry these too; the server adds the CSP.
            routing_http_response_strict_transport_security_header_value=strict_transport_security(),
            routing_http_response_x_content_type_options_header_value="nosniff",
            routing_http_response_x_frame_options_header_value=FRAME_OPTION,
            opts=child,
        )
        redirect = aws.lb.ListenerDefaultActionRedirectArgs(
            status_code="HTTP_301", protocol="HTTPS", port="443"
        )
        self.http_listener = aws.lb.Listener(
            f"{name}-http-redirect",
            load_balancer_arn=self.load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="redirect", redirect=redirect)],
            opts=child,
        )
        self.url = self.load_balancer.dns_name.apply(lambda dns: f"https://{dns}")
        self.register_outputs(
            {
                "url": self.url,
                "dns_name": self.load_balancer.dns_name,
                "zone_id": self.load_balancer.zone_id,
                "security_group_id": self.security_group.id,
                "content_bucket_name": self.content_bucket.bucket_name,
            }
        )

    def attach_server(self, connect_origins: Sequence[pulumi.Input[str]] = ()) -> aws.lambda_.Function:
        """Create the Lambda target; its CSP admits exactly `connect_origins` (https/wss). Once only."""
        if self.function is not None:
            raise RuntimeError(f"{self._name}: the server is already attached")
        for origin in connect_origins:
            if isinstance(origin, str):
                check_connect_origin(origin)  # fail now for known values, not at deploy
        args, name = self._args, self._name
        headers = pulumi.Output.all(*connect_origins).apply(lambda o: json.dumps(security_headers(o)))
        # The provider's region: the log group the server's role may write to lives there.
        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self)).region
        read_objects = {"Sid": "ReadSiteObjects", "Effect": "Allow", "Action": "s3:GetObject",
                        "Resource": pulumi.Output.concat(self.content_bucket.arn, "/*")}
        self.server = AppFunction(
            f"{name}-server",
            AppFunctionArgs(
                prefix=args.prefix,
                stack=args.stack,
                region=region,
                role="private-website",
                handler=HANDLER,
                code=args.code,
                log_retention_days=args.log_retention_days,
                logs_kms_key_arn=args.logs_kms_key_arn,
                retain=args.retain,
                xray_tracing=args.xray_tracing,
                statements=[read_objects],
                extra_statements=[pulumi.Output.from_input(args.content_kms_key_arn).apply(decrypt_statements)],
                environment={"CONTENT_BUCKET": self.content_bucket.bucket_name, "SECURITY_HEADERS": headers},
                description="Private website: serves the web UI from S3 behind the internal load balancer",
                memory_mb=256,
                timeout_seconds=10,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = self.server.function
        child = pulumi.ResourceOptions(parent=self)
        permission = aws.lambda_.Permission(
            f"{name}-server-invoke",
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal="elasticloadbalancing.amazonaws.com",
            source_arn=self.target_group.arn,
            opts=child,
        )
        aws.lb.TargetGroupAttachment(
            f"{name}-server-target",
            target_group_arn=self.target_group.arn,
            target_id=self.function.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),  # ELB checks it may invoke
        )
        return self.function

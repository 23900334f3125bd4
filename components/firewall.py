"""A WAFv2 web ACL with IP rate limits (global + optional scoped ones), AWS managed rule sets, an optional geo
allowlist, and logging."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from components.naming import resource_name

WafScope = Literal["CLOUDFRONT", "REGIONAL"]
# Order matters: the cheap reputation list runs before the broader rule sets.
MANAGED_RULE_GROUPS: tuple[str, ...] = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
RATE_WINDOWS_SECONDS = (60, 120, 300, 600)
REDACTED_HEADERS = ("authorization", "cookie")  # bearer tokens and session cookies never reach the logs
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_RULE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_SCOPE = "WebAclRuleStatementRateBasedStatementScopeDownStatement"  # the SDK's nested type names are long
_Scope = getattr(aws.wafv2, f"{_SCOPE}Args")
_And = getattr(aws.wafv2, f"{_SCOPE}AndStatementArgs")
_Regex = getattr(aws.wafv2, f"{_SCOPE}RegexMatchStatementArgs")
_RegexField = getattr(aws.wafv2, f"{_SCOPE}RegexMatchStatementFieldToMatchArgs")
_Method = getattr(aws.wafv2, f"{_SCOPE}RegexMatchStatementFieldToMatchMethodArgs")
_UriPath = getattr(aws.wafv2, f"{_SCOPE}RegexMatchStatementFieldToMatchUriPathArgs")
_RegexTransform = getattr(aws.wafv2, f"{_SCOPE}RegexMatchStatementTextTransformationArgs")
# Path evasion (%2F, //, /./, upper case) is undone before the path pattern is matched.
PATH_TRANSFORMS: tuple[str, ...] = ("URL_DECODE", "NORMALIZE_PATH", "LOWERCASE")


@dataclass(frozen=True)
class ScopedRateLimit:
    """A stricter per-IP limit, counted only over requests whose method (and path) match.

    `path_pattern` is a regex over the URI path after PATH_TRANSFORMS (so write it in lower case); None
    scopes by method alone. The limit shares the ACL's window.
    """

    name: str
    limit: int
    methods: tuple[str, ...]
    path_pattern: str | None = None

    def __post_init__(self) -> None:
        if not _RULE_NAME.match(self.name):
            raise ValueError(f"scoped rate limit name must match {_RULE_NAME.pattern}, got {self.name!r}")
        if not 10 <= self.limit <= 2_000_000_000:
            raise ValueError(f"scoped rate limit {self.name}: limit must be 10..2000000000, got {self.limit}")
        unknown = sorted(set(self.methods) - HTTP_METHODS)
        if not self.methods or unknown:
            raise ValueError(f"scoped rate limit {self.name}: methods must be non-empty HTTP methods, got "
                             f"{self.methods!r}")
        if self.path_pattern is not None:
            re.compile(self.path_pattern)  # a bad pattern fails here, not at deploy time


@dataclass(frozen=True)
class WebFirewallArgs:
    prefix: str
    stack: str
    scope: WafScope
    rate_limit: int
    window_seconds: int
    geo_allowlist: tuple[str, ...]
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    retain: bool
    scoped_rate_limits: tuple[ScopedRateLimit, ...] = ()

    def __post_init__(self) -> None:
        if self.scope not in ("CLOUDFRONT", "REGIONAL"):
            raise ValueError(f"scope must be CLOUDFRONT or REGIONAL, got {self.scope!r}")
        if not 10 <= self.rate_limit <= 2_000_000_000:
            raise ValueError(f"rate_limit must be 10..2000000000, got {self.rate_limit}")
        if self.window_seconds not in RATE_WINDOWS_SECONDS:
            raise ValueError(
                f"window_seconds must be one of {RATE_WINDOWS_SECONDS}, got {self.window_seconds}"
            )
        names = [scoped.name for scoped in self.scoped_rate_limits]
        if len(set(names)) != len(names) or "per-ip" in names:
            raise ValueError(f"scoped_rate_limits names must be unique and not 'per-ip', got {names}")
        looser = [s.name for s in self.scoped_rate_limits if s.limit > self.rate_limit]
        if looser:
            raise ValueError(f"scoped_rate_limits {looser} must not exceed rate_limit {self.rate_limit}")


def _visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _block() -> aws.wafv2.WebAclRuleActionArgs:
    return aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs())


def _regex(field: Any, pattern: str, transforms: tuple[str, ...]) -> Any:
    return _Scope(
        regex_match_statement=_Regex(
            regex_string=pattern,
            field_to_match=field,
            text_transformations=[_RegexTransform(priority=i, type=t) for i, t in enumerate(transforms)],
        )
    )


def scope_down(scoped: ScopedRateLimit) -> Any:
    """Match the scoped limit's methods (exactly) and, when given, its path pattern."""
    methods = "|".join(sorted(set(scoped.methods)))
    method = _regex(
        _RegexField(method=_Method()),
        f"^({methods})$",
        ("NONE",),
    )
    if scoped.path_pattern is None:
        return method
    path = _regex(
        _RegexField(uri_path=_UriPath()),
        scoped.path_pattern,
        PATH_TRANSFORMS,
    )
    return _Scope(and_statement=_And(statements=[method, path]))


def build_rules(acl_name: str, args: WebFirewallArgs) -> list[aws.wafv2.WebAclRuleArgs]:
    """The web ACL's rules, in evaluation order."""
    rules: list[aws.wafv2.WebAclRuleArgs] = []

    def add(
        rule_name: str,
        statement: aws.wafv2.WebAclRuleStatementArgs,
        action: aws.wafv2.WebAclRuleActionArgs | None = None,
        override_action: aws.wafv2.WebAclRuleOverrideActionArgs | None = None,
    ) -> None:
        rules.append(
            aws.wafv2.WebAclRuleArgs(
                name=rule_name,
                priority=len(rules),
                statement=statement,
                action=action,
                override_action=override_action,
                visibility_config=_visibility(f"{acl_name}-{rule_name}"),
            )
        )

    if args.geo_allowlist:
        add(
            "geo-allowlist",
            action=_block(),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                not_statement=aws.wafv2.WebAclRuleStatementNotStatementArgs(
                    statement=aws.wafv2.WebAclRuleStatementArgs(
                        geo_match_statement=aws.wafv2.WebAclRuleStatementGeoMatchStatementArgs(
                            country_codes=list(args.geo_allowlist)
                        )
                    )
                )
            ),
        )
    for scoped in args.scoped_rate_limits:  # the stricter limits first: they trip before the global one
        add(
            f"rate-limit-{scoped.name}",
            action=_block(),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    aggregate_key_type="IP",
                    limit=scoped.limit,
                    evaluation_window_sec=args.window_seconds,
                    scope_down_statement=scope_down(scoped),
                )
            ),
        )
    add(
        "rate-limit-per-ip",
        action=_block(),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                aggregate_key_type="IP", limit=args.rate_limit, evaluation_window_sec=args.window_seconds
            )
        ),
    )
    for group in MANAGED_RULE_GROUPS:
        add(
            group,
            override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()
            ),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                    name=group, vendor_name="AWS"
                )
            ),
        )
    return rules


class WebFirewall(pulumi.ComponentResource):
    """CLOUDFRONT scope needs a us-east-1 provider: pass opts=ResourceOptions(providers={"aws": ...})."""

    web_acl: aws.wafv2.WebAcl
    web_acl_arn: pulumi.Output[str]
    log_group: aws.cloudwatch.LogGroup

    def __init__(self, name: str, args: WebFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:firewall:WebFirewall", name, None, opts)
        acl_name = resource_name(args.prefix, args.stack, f"{args.scope.lower()}-web-acl")

        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-web-acl",
            name=acl_name,
            description=f"{args.prefix} {args.stack} {args.scope} web ACL",
            scope=args.scope,
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=build_rules(acl_name, args),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=acl_name, sampled_requests_enabled=True
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{acl_name}",  # WAF delivers only to log groups with this prefix
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self, protect=args.retain, retain_on_delete=args.retain),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(
                        name=header
                    )
                )
                for header in REDACTED_HEADERS
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.web_acl_arn = self.web_acl.arn
        self.register_outputs({"web_acl_arn": self.web_acl_arn, "log_group_name": self.log_group.name})

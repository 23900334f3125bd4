"""CloudFront: the response headers policy of every distribution (SEC-CLOUDFRONT-HARDENING HSTS, SEC-CSP).

Stack policies: the aws.cloudfront.ResponseHeadersPolicy is a separate resource that a distribution's
cache behaviours name. Both distribution tokens are covered (see ``cloudfront.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from ..links import dependencies_of_type
from ..metadata import Equivalents, RuleMeta, stack_policy
from ..props import Known, Missing, check_all, is_present, known, lookup, require_known
from .cloudfront import DISTRIBUTIONS, DOCS, HEADERS_POLICY

# --- Stack rules: the distribution's response headers policy (HSTS, CSP) ---

HSTS_MIN_AGE = 31_536_000

HSTS = RuleMeta(
    name="cloudfront-hsts",
    description=(
        "The response headers policy of each distribution's default behavior sends "
        f"Strict-Transport-Security (override true, max-age >= {HSTS_MIN_AGE} seconds)."
    ),
    severity="medium",
    catalogue_level="all",
    catalogue_ids=("SEC-CLOUDFRONT-HARDENING",),
    resource_types=(*DISTRIBUTIONS, HEADERS_POLICY),
    remediation=(
        "Create an aws.cloudfront.ResponseHeadersPolicy with security_headers_config.strict_transport_"
        "security={override: True, access_control_max_age_sec: 63072000, include_subdomains: True} and set "
        "default_cache_behavior.response_headers_policy_id to its id."
    ),
    url=f"{DOCS}understanding-response-headers-policies.html",
    equivalents=Equivalents(cdk_nag=("AwsSolutions-CFR5",)),
)


def headers_policies(
    dist: PolicyResource, policies: list[PolicyResource]
) -> tuple[list[PolicyResource], str]:
    """The stack's headers policies on ``dist``'s default behavior, or ([], why not)."""
    ref = lookup(dist.props, "defaultCacheBehavior.responseHeadersPolicyId")
    if isinstance(ref, Missing):
        return [], "defaultCacheBehavior.responseHeadersPolicyId is not set"
    linked = dependencies_of_type(dist, "defaultCacheBehavior", (HEADERS_POLICY,))
    if isinstance(ref, Known):
        by_id = [p for p in policies if known(p.props, "id") == ref.value]
        linked = by_id or linked
        if not linked:
            return (
                [],
                f"responseHeadersPolicyId {ref.value!r} is not a policy this stack creates (unverifiable)",
            )
    if not linked:
        raise UnknownValueError(
            UNKNOWN_STRING_VALUE, [dist.name, "defaultCacheBehavior", "responseHeadersPolicyId"]
        )
    return linked, ""


def _stack_check(
    args: StackValidationArgs,
    report: ReportViolation,
    check: Callable[[PolicyResource, list[PolicyResource], ReportViolation], None],
) -> None:
    policies = [r for r in args.resources if r.resource_type == HEADERS_POLICY]
    dists = [r for r in args.resources if r.resource_type in DISTRIBUTIONS]
    check_all(*(partial(check, d, policies, report) for d in dists))


def _hsts(dist: PolicyResource, policies: list[PolicyResource], report: ReportViolation) -> None:
    found, why = headers_policies(dist, policies)
    if why:
        report(f"Distribution {dist.name} sends no verified HSTS header: {why}.", dist.urn)
    base = "securityHeadersConfig.strictTransportSecurity"
    for policy in found:
        override = require_known(policy.props, f"{base}.override", False)
        age = require_known(policy.props, f"{base}.accessControlMaxAgeSec", 0)
        if override is not True or age < HSTS_MIN_AGE:
            report(
                f"Distribution {dist.name}: headers policy {policy.name} {base} has override={override}, "
                f"accessControlMaxAgeSec={int(age)}; set override true and max-age >= {HSTS_MIN_AGE}.",
                dist.urn,
            )


def validate_hsts(args: StackValidationArgs, report: ReportViolation) -> None:
    _stack_check(args, report, _hsts)


CSP = RuleMeta(
    name="cloudfront-csp",
    description=(
        "The website sends a Content-Security-Policy (response headers policy of each distribution) with "
        "no wildcard source in default-src, script-src, connect-src or img-src, no scheme-only source in "
        "default-src, script-src or connect-src, no 'unsafe-eval', and with default-src and frame-ancestors."
    ),
    severity="medium",
    catalogue_level="non-dev",
    catalogue_ids=("SEC-CSP",),
    resource_types=(*DISTRIBUTIONS, HEADERS_POLICY),
    remediation=(
        'Set security_headers_config.content_security_policy={content_security_policy: "default-src '
        "'none'; script-src 'self'; connect-src 'self' https://api.example.com; img-src 'self' data:; "
        "frame-ancestors 'none'\", override: True} on the distribution's ResponseHeadersPolicy."
    ),
    url=f"{DOCS}adding-response-headers.html",
)
_CSP_PATH = "securityHeadersConfig.contentSecurityPolicy.contentSecurityPolicy"
_NO_WILDCARD = ("default-src", "script-src", "connect-src", "img-src")
_NO_SCHEME_ONLY = ("default-src", "script-src", "connect-src")
_SCHEME_ONLY = re.compile(r"^[a-z][a-z0-9+.-]*:$", re.I)
_WILDCARD_HOST = re.compile(r"^([a-z][a-z0-9+.-]*://)?\*(:[0-9*]+)?(/.*)?$", re.I)


def parse_csp(policy: str) -> dict[str, list[str]]:
    """Directive name (lower case) -> sources; the first occurrence wins, as in browsers."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            directives.setdefault(tokens[0].lower(), tokens[1:])
    return directives


def csp_problems(policy: str) -> list[str]:
    directives = parse_csp(policy)
    problems: list[str] = []
    for name in _NO_WILDCARD:
        wild = [s for s in directives.get(name, []) if _WILDCARD_HOST.match(s)]
        if name in _NO_SCHEME_ONLY:
            wild += [s for s in directives.get(name, []) if _SCHEME_ONLY.match(s)]
        if wild:
            problems.append(f"{name} allows {' '.join(wild)}")
    evals = [n for n, sources in directives.items() if "'unsafe-eval'" in (s.lower() for s in sources)]
    problems += [f"{name} allows 'unsafe-eval'" for name in evals]
    problems += [
        f"{name} is missing" for name in ("default-src", "frame-ancestors") if name not in directives
    ]
    return problems


def _csp_present(dist: PolicyResource, policies: list[PolicyResource], report: ReportViolation) -> None:
    found, why = headers_policies(dist, policies)
    without = [p.name for p in found if not is_present(p.props, _CSP_PATH)]
    if why or without:
        detail = why or f"headers policy {', '.join(without)} sets no {_CSP_PATH}"
        report(f"Distribution {dist.name} sends no Content-Security-Policy: {detail}.", dist.urn)


def _csp_content(policy: PolicyResource, report: ReportViolation) -> None:
    value = require_known(policy.props, _CSP_PATH)
    problems = csp_problems(str(value)) if value is not None else []
    if problems:
        report(f"{_CSP_PATH} of {policy.name}: {'; '.join(problems)}.", policy.urn)


def validate_csp(args: StackValidationArgs, report: ReportViolation) -> None:
    policies = [r for r in args.resources if r.resource_type == HEADERS_POLICY]
    check_all(
        partial(_stack_check, args, report, _csp_present),
        *(partial(_csp_content, p, report) for p in policies),
    )


POLICIES = [stack_policy(HSTS, validate_hsts), stack_policy(CSP, validate_csp)]

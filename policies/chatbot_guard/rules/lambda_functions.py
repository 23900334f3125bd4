"""Lambda: functions run on a runtime AWS still supports (SEC-LAMBDA-RUNTIME).

A deprecated runtime gets no security patches, and AWS later blocks creating and then updating such
functions, so a stack built on one cannot ship a fix. The dates are AWS's deprecation dates from the
Lambda runtimes page (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html) as it stood in
November 2026. A runtime counts as deprecated from its date on, so scheduled deprecations (for example
python3.12 in October 2028) start failing by themselves when their day comes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime

from pulumi_policy import ReportViolation, ResourceValidationArgs

from ..metadata import Equivalents, RuleMeta, resource_policy
from ..props import require_known

FUNCTION = "aws:lambda/function:Function"

# Runtime identifier -> deprecation date (end of security patches; creates are blocked soon after).
DEPRECATION_DATES: Mapping[str, date] = {
    # Scheduled (supported until the date).
    "nodejs24.x": date(2028, 4, 30),
    "nodejs22.x": date(2027, 4, 30),
    "python3.14": date(2029, 6, 30),
    "python3.13": date(2029, 6, 30),
    "python3.12": date(2028, 10, 31),
    "java25": date(2029, 6, 30),
    "java21": date(2029, 6, 30),
    "dotnet10": date(2028, 11, 14),
    "ruby3.4": date(2028, 3, 31),
    "ruby3.3": date(2027, 3, 31),
    "provided.al2023": date(2029, 6, 30),
    # Deprecated by November 2026.
    "dotnet8": date(2026, 11, 10),
    "python3.11": date(2026, 6, 30),
    "python3.10": date(2026, 6, 30),
    "java17": date(2026, 6, 30),
    "java11": date(2026, 6, 30),
    "java8.al2": date(2026, 6, 30),
    "provided.al2": date(2026, 6, 30),
    "nodejs20.x": date(2026, 4, 30),
    "ruby3.2": date(2026, 3, 31),
    "python3.9": date(2025, 12, 15),
    "nodejs18.x": date(2025, 9, 1),
    "dotnet6": date(2024, 12, 20),
    "python3.8": date(2024, 10, 14),
    "nodejs16.x": date(2024, 6, 12),
    "dotnet7": date(2024, 5, 14),
    "java8": date(2024, 1, 8),  # Amazon Linux 1; java8.al2 is the Amazon Linux 2 runtime above.
    "go1.x": date(2024, 1, 8),
    "provided": date(2024, 1, 8),  # Amazon Linux 1 OS-only runtime.
    "nodejs14.x": date(2023, 12, 4),
    "python3.7": date(2023, 12, 4),
    "ruby2.7": date(2023, 12, 7),
    "dotnetcore3.1": date(2023, 4, 3),
    "nodejs12.x": date(2023, 3, 31),
    "python3.6": date(2022, 7, 18),
    "dotnet5.0": date(2022, 5, 10),
    "dotnetcore2.1": date(2022, 1, 5),
    "nodejs10.x": date(2021, 7, 30),
    "ruby2.5": date(2021, 7, 30),
    "python2.7": date(2021, 7, 15),
    "nodejs8.10": date(2020, 3, 6),
    "nodejs4.3": date(2020, 3, 5),
    "nodejs4.3-edge": date(2020, 3, 5),
    "nodejs6.10": date(2019, 8, 12),
    "dotnetcore1.0": date(2019, 7, 30),
    "dotnetcore2.0": date(2019, 5, 30),
    "nodejs": date(2016, 10, 31),
}


def deprecated_since(runtime: str, today: date | None = None) -> date | None:
    """The runtime's deprecation date when it has passed on ``today`` (UTC), else None."""
    day = today or datetime.now(UTC).date()
    deprecated = DEPRECATION_DATES.get(runtime)
    return deprecated if deprecated is not None and deprecated <= day else None


def _family(runtime: str) -> str:
    match = re.match(r"[a-z]+", runtime)
    return match.group(0) if match else runtime


def supported_runtimes(today: date | None = None) -> list[str]:
    return sorted(r for r in DEPRECATION_DATES if deprecated_since(r, today) is None)


META = RuleMeta(
    name="lambda-supported-runtime",
    description=(
        "Lambda functions packaged as .zip archives use a runtime that AWS has not deprecated (dated "
        "table from the Lambda runtimes page). Container-image functions bring their own runtime and "
        "are out of scope."
    ),
    severity="high",
    catalogue_level="all",
    catalogue_ids=("SEC-LAMBDA-RUNTIME",),
    resource_types=(FUNCTION,),
    remediation=(
        "Set runtime on the aws.lambda_.Function to a supported identifier (for Python, "
        "aws.lambda_.Runtime.PYTHON3D13 or PYTHON3D12) and rebuild the package for it."
    ),
    url="https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html",
    equivalents=Equivalents(
        cdk_nag=("AwsSolutions-L1",),
        pdk_nag=("AwsPrototyping-LambdaLatestVersion",),
        checkov=("CKV_AWS_363",),
    ),
)


def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if require_known(args.props, "packageType", "Zip") == "Image":
        args.not_applicable("container-image functions bring their own runtime")
    runtime = require_known(args.props, "runtime")
    if not runtime:
        report("runtime is not set on a .zip function; set a supported runtime identifier.", None)
        return
    since = deprecated_since(str(runtime))
    if since is not None:
        same_language = [r for r in supported_runtimes() if _family(r) == _family(str(runtime))]
        newer = ", ".join(same_language) or "a supported runtime"
        report(
            f"runtime {runtime} was deprecated by AWS on {since.isoformat()}; use {newer}.",
            None,
        )


POLICIES = [resource_policy(META, validate)]

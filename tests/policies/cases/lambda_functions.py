"""Fixtures for rules/lambda_functions.py (lambda-supported-runtime)."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource

FUNCTION = "aws:lambda/function:Function"
R = "lambda-supported-runtime"

BASE = Baseline(
    (
        Resource(
            FUNCTION,
            "chat",
            {
                "name": "chatbot-chat",
                "runtime": "python3.13",
                "handler": "app.handler",
                "packageType": "Zip",
                "role": "arn:aws:iam::123456789012:role/chat",
            },
        ),
    )
)
IMAGE = Baseline(
    (
        Resource(
            FUNCTION,
            "processor",
            {
                "name": "chatbot-processor",
                "packageType": "Image",
                "role": "arn:aws:iam::123456789012:role/p",
                "imageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/processor@sha256:" + "a" * 64,
            },
        ),
    )
)
DEV = Baseline(BASE.resources, stack="dev")

CASES = [
    BASE.case(R),
    BASE.mutate(R, "python3.12 is supported", "chat", "runtime", "python3.12", expect="pass"),
    BASE.mutate(R, "nodejs22.x is supported", "chat", "runtime", "nodejs22.x", expect="pass"),
    BASE.mutate(
        R,
        "python3.8 is deprecated",
        "chat",
        "runtime",
        "python3.8",
        level="mandatory",
        message="runtime python3.8 was deprecated by AWS on 2024-10-14",
    ),
    BASE.mutate(R, "python2.7", "chat", "runtime", "python2.7"),
    BASE.mutate(R, "nodejs16.x", "chat", "runtime", "nodejs16.x"),
    BASE.mutate(R, "java8 on Amazon Linux 1", "chat", "runtime", "java8"),
    BASE.mutate(R, "dotnetcore3.1", "chat", "runtime", "dotnetcore3.1"),
    BASE.mutate(R, "dotnet6", "chat", "runtime", "dotnet6"),
    BASE.mutate(R, "go1.x", "chat", "runtime", "go1.x"),
    BASE.mutate(R, "ruby2.7", "chat", "runtime", "ruby2.7"),
    BASE.mutate(R, "provided (Amazon Linux 1)", "chat", "runtime", "provided", message="use provided.al2023"),
    BASE.mutate(R, "python3.9 (deprecated 2025-12-15)", "chat", "runtime", "python3.9", message="python3.13"),
    BASE.mutate(R, "runtime missing on a zip function", "chat", "runtime", DELETE, message="not set"),
    BASE.mutate(R, "runtime unknown", "chat", "runtime", UNKNOWN, expect="not-evaluated"),
    BASE.mutate(R, "packageType unknown", "chat", "packageType", UNKNOWN, expect="not-evaluated"),
    IMAGE.case(R, "container image functions are not applicable"),
    DEV.mutate(R, "deprecated on dev is still mandatory", "chat", "runtime", "python3.7", level="mandatory"),
]

"""Fixtures for rules/imports.py: upload-cors-origins and import-handler-limits."""

from ..harness import UNKNOWN
from . import DELETE, Baseline, Resource, ref

CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
CORS_V2 = "aws:s3/bucketCorsConfigurationV2:BucketCorsConfigurationV2"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
FUNCTION = "aws:lambda/function:Function"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"

UPLOAD_RULE = {
    "allowedMethods": ["PUT", "POST"],
    "allowedOrigins": ["https://chat.example.com"],
    "allowedHeaders": ["content-type", "x-amz-meta-*"],
    "maxAgeSeconds": 3000.0,
}
CORS_BASE = Baseline(
    (
        Resource(
            CORS,
            "uploads-cors",
            {
                "bucket": "chatbot-uploads",
                "corsRules": [UPLOAD_RULE, {"allowedMethods": ["GET"], "allowedOrigins": ["*"]}],
            },
        ),
    )
)
IMPORT_ENV = {
    "variables": {
        "IMPORT_ALLOWED_TYPES": "application/pdf,text/plain,text/markdown",
        "IMPORT_MAX_BYTES": "104857600",
    }
}
HANDLERS = Baseline(
    (
        Resource(
            FUNCTION,
            "ingest",
            {
                "name": "chatbot-ingest",
                "runtime": "python3.13",
                "handler": "app.handler",
                "role": "arn:aws:iam::123456789012:role/ingest",
                "environment": IMPORT_ENV,
            },
        ),
        Resource(
            NOTIFICATION,
            "uploads-events",
            {
                "bucket": "chatbot-uploads",
                "lambdaFunctions": [{"lambdaFunctionArn": UNKNOWN, "events": ["s3:ObjectCreated:*"]}],
            },
            property_dependencies={"lambdaFunctions": [ref(FUNCTION, "ingest")]},
        ),
        Resource(
            FUNCTION,
            "chat",
            {
                "name": "chatbot-chat",
                "runtime": "python3.13",
                "handler": "app.handler",
                "role": "arn:aws:iam::123456789012:role/chat",
            },
        ),
    )
)

C, H = "upload-cors-origins", "import-handler-limits"
CASES = [
    CORS_BASE.case(C, "explicit https origin; public GET allowed"),
    CORS_BASE.mutate(
        C,
        "wildcard origin for PUT",
        "uploads-cors",
        "corsRules.0.allowedOrigins",
        ["*"],
        level="mandatory",
        message="list each https origin explicitly",
    ),
    CORS_BASE.mutate(
        C,
        "http origin",
        "uploads-cors",
        "corsRules.0.allowedOrigins",
        ["http://chat.example.com"],
        message="only https://",
    ),
    CORS_BASE.mutate(
        C,
        "wildcard subdomain origin",
        "uploads-cors",
        "corsRules.0.allowedOrigins",
        ["https://*.example.com"],
    ),
    CORS_BASE.mutate(
        C, "wildcard headers", "uploads-cors", "corsRules.0.allowedHeaders", ["*"], message="allowedHeaders"
    ),
    CORS_BASE.mutate(C, "POST only", "uploads-cors", "corsRules.0.allowedMethods", ["post"], expect="pass"),
    CORS_BASE.mutate(
        C, "origins unknown", "uploads-cors", "corsRules.0.allowedOrigins", UNKNOWN, expect="not-evaluated"
    ),
    Baseline(
        (
            Resource(
                CORS_V2, "v2-cors", {"bucket": "b", "corsRules": [{**UPLOAD_RULE, "allowedOrigins": ["*"]}]}
            ),
        )
    ).case(C, "V2 twin token", expect="violation"),
    Baseline(
        (
            Resource(
                BUCKET, "legacy", {"bucket": "b", "corsRules": [{**UPLOAD_RULE, "allowedOrigins": ["*"]}]}
            ),
        )
    ).case(C, "inline corsRules on Bucket", expect="violation"),
    Baseline(
        (
            Resource(
                BUCKET_V2, "legacy2", {"bucket": "b", "corsRules": [{**UPLOAD_RULE, "allowedHeaders": ["*"]}]}
            ),
        )
    ).case(C, "inline corsRules on BucketV2", expect="violation"),
    Baseline(CORS_BASE.resources, stack="dev").mutate(
        C, "mandatory on dev", "uploads-cors", "corsRules.0.allowedOrigins", ["*"], level="mandatory"
    ),
    HANDLERS.case(H, "notification target sets both limits; chat function is not an import handler"),
    HANDLERS.mutate(
        H,
        "notification target without limits",
        "ingest",
        "environment",
        DELETE,
        level="mandatory",
        message="IMPORT_ALLOWED_TYPES is not set",
    ),
    HANDLERS.mutate(
        H,
        "only one variable",
        "ingest",
        "environment",
        {"variables": {"IMPORT_ALLOWED_TYPES": "application/pdf"}},
        message="IMPORT_MAX_BYTES",
    ),
    HANDLERS.mutate(
        H,
        "variable set on another function declares it a handler",
        "chat",
        "environment",
        {"variables": {"IMPORT_MAX_BYTES": "1000"}},
        message="chat handles imports",
    ),
    HANDLERS.mutate(
        H,
        "wildcard type",
        "ingest",
        "environment.variables.IMPORT_ALLOWED_TYPES",
        "*/*",
        message="MIME types",
    ),
    HANDLERS.mutate(
        H,
        "size not a number",
        "ingest",
        "environment.variables.IMPORT_MAX_BYTES",
        "100MB",
        message="positive number",
    ),
    HANDLERS.mutate(
        H,
        "types unknown at preview",
        "ingest",
        "environment.variables.IMPORT_ALLOWED_TYPES",
        UNKNOWN,
        expect="not-evaluated",
    ),
]

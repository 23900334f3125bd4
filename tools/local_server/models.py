"""Which models answer: real Amazon Bedrock (AWS credentials present, or --bedrock) or local mode
(--local-models, or no credentials): wordllama embeddings and extractive answers from the passages.

Real credentials are resolved here, before any endpoint is redirected, and handed to the handlers as
plain keys: a profile's STS/SSO refresh would otherwise be sent to moto. Temporary keys expire; restart
`make serve` then.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import StartupError

DEFAULT_REGION = "us-east-1"
LOCAL_NOTICE = ("Local mode: no AWS credentials, so answers are quoted from your documents' best-matching "
                "passages by a local extractive model (not a language model), with wordllama embeddings.")


@dataclass(frozen=True)
class ModelMode:
    local: bool
    region: str
    credentials: dict[str, str] | None  # frozen real keys in Bedrock mode
    notice: str
    expires: str | None = None  # when temporary keys run out (ISO time), if known


def _bedrock_notice(region: str) -> str:
    return (f"Local server with Amazon Bedrock in {region}: answers and embeddings are real Bedrock calls "
            "billed to your AWS account; everything else runs on this machine.")


def resolve_models(choice: str, region: str | None) -> ModelMode:
    """`local`: never look for credentials. `bedrock`: require them. `auto`: use them when present."""
    if choice == "local":
        return ModelMode(True, region or DEFAULT_REGION, None, LOCAL_NOTICE)
    import boto3

    session = boto3.Session()
    found = session.get_credentials()
    if found is None:
        if choice == "bedrock":
            raise StartupError("--bedrock needs AWS credentials (environment, profile or SSO); none were "
                               "found. Use --local-models to run without AWS")
        return ModelMode(True, region or DEFAULT_REGION, None, LOCAL_NOTICE)
    frozen = found.get_frozen_credentials()
    keys = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
    if frozen.token:
        keys["AWS_SESSION_TOKEN"] = frozen.token
    expiry = getattr(found, "_expiry_time", None)  # refreshable credentials only
    chosen = region or session.region_name or DEFAULT_REGION
    return ModelMode(False, chosen, keys, _bedrock_notice(chosen), expiry.isoformat() if expiry else None)

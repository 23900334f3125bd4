"""WebSocket $connect REQUEST authorizer: the Cognito token arrives as the `token` query parameter."""

from __future__ import annotations

import logging
from typing import Any

from ..core.auth import verify_token
from ..core.config import get_config
from ..core.errors import ApiError

log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    token = (event.get("queryStringParameters") or {}).get("token")
    try:
        principal = verify_token(token, get_config())
    except ApiError as error:
        log.info("connection refused: %s", error.message)
        # This exact message makes API Gateway answer 401 instead of 500.
        raise Exception("Unauthorized") from None  # noqa: TRY002
    return {
        "principalId": principal.sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            ],
        },
        "context": {
            "sub": principal.sub,
            "username": principal.username,
            "groups": ",".join(sorted(principal.groups)),
        },
    }

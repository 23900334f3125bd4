"""The local server's one ASGI app: every route on one origin (so the page's CSP is connect-src 'self')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from . import identity_routes, rest_bridge, s3_proxy, site, websocket_bridge
from .identity import IdentityProvider
from .lambda_bridge import LambdaRuntime, invoke_route


def build_app(*, runtime: LambdaRuntime, connections: websocket_bridge.Connections, idp: IdentityProvider,
              moto_url: str, config: dict[str, Any], web_root: Path = site.WEB_ROOT) -> ASGIApp:
    routes = [
        *identity_routes.routes(idp),
        rest_bridge.route(runtime),
        *websocket_bridge.routes(runtime, connections),
        invoke_route(runtime),
        s3_proxy.route(moto_url),
        *site.routes(config, web_root),  # last: its catch-all serves the UI
    ]
    return site.SecurityHeaders(Starlette(routes=routes), site.local_security_headers())

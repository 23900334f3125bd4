"""The web UI (app/web) with the stack's security headers, and the runtime config the page reads.

The headers come from components/security_headers.py, the module CloudFront's policy and the private
website use, with one change for plain http://127.0.0.1: no `upgrade-insecure-requests` (it would send the
page's requests to https://127.0.0.1, where nothing listens). connect-src stays 'self': the API, the
WebSocket, the identity provider and the uploads (/s3) are all on this origin.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from components.security_headers import security_headers

WEB_ROOT = Path(__file__).resolve().parents[2] / "app" / "web"
# As components/site_content.py (not imported: it loads Pulumi): never served, never deployed.
SKIPPED_PARTS = frozenset({"tests", "node_modules", "package.json", "README.md"})
_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".html": "text/html; charset=utf-8",
          ".json": "application/json", ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8",
          ".webmanifest": "application/manifest+json"}


def local_security_headers() -> dict[str, str]:
    headers = security_headers(())
    directives = [d.strip() for d in headers["Content-Security-Policy"].split(";")]
    kept = (d for d in directives if d and d != "upgrade-insecure-requests")
    headers["Content-Security-Policy"] = "; ".join(kept)
    return headers


class SecurityHeaders:
    """ASGI middleware: every HTTP response gets the site's security headers (a handler's own win)."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in self.headers if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _file(root: Path, path: str) -> Path | None:
    """The file for a URL path inside root; None for anything outside it, hidden or skipped."""
    parts = [p for p in path.split("/") if p]
    if any(p.startswith(".") or p in SKIPPED_PARTS for p in parts):
        return None
    candidate = (root / Path(*parts)) if parts else root / "index.html"
    try:
        candidate = candidate.resolve()
        candidate.relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return candidate if candidate.is_file() else None


def _missing_ui(root: Path) -> Response:
    return HTMLResponse(f"<!doctype html><title>chatbot</title><h1>The web UI is not there</h1>"
                        f"<p>No index.html in {root}.</p>", status_code=404)


def routes(config: dict[str, Any], root: Path = WEB_ROOT) -> list[Route]:
    async def runtime_config(request: Request) -> Response:
        return JSONResponse(config, headers={"Cache-Control": "no-store"})

    async def static(request: Request) -> Response:
        path = request.path_params.get("path", "")
        found = _file(root, path)
        if found is None and "." not in path.rsplit("/", 1)[-1]:
            found = _file(root, "index.html")  # a single-page app route, as CloudFront's error responses do
        if found is None:
            if not (root / "index.html").is_file():
                return _missing_ui(root)
            return Response("Not found.", status_code=404, media_type="text/plain")
        kind = _TYPES.get(found.suffix.lower()) or mimetypes.guess_type(found.name)[0]
        return FileResponse(found, media_type=kind or "application/octet-stream",
                            headers={"Cache-Control": "no-cache"})

    return [
        Route("/config.json", runtime_config, methods=["GET"]),
        Route("/{path:path}", static, methods=["GET", "HEAD"]),
    ]


def runtime_config(origin: str, websocket_url: str, client_id: str, notice: str,
                   embedding_models: list[str]) -> dict[str, Any]:
    """The document app/web reads from /config.json (the stack writes the same shape, see site_content);
    `embeddingModels` (optional for the page) offers the one model this server's rag service enables."""
    auth = f"{origin}/auth"
    return {
        "mode": "local",
        "apiUrl": f"{origin}/api",
        "websocketUrl": websocket_url,
        "auth": {"authorizeUrl": f"{auth}/oauth2/authorize", "tokenUrl": f"{auth}/oauth2/token",
                 "logoutUrl": f"{auth}/oauth2/logout", "clientId": client_id, "redirectUri": f"{origin}/",
                 "scopes": ["openid", "email", "profile"]},
        "adminGroup": "admin",
        "workspaceManagerGroup": "workspace_manager",
        "notice": notice,
        "embeddingModels": embedding_models,
    }

"""HTTP endpoints of the local identity provider under /auth (Cognito hosted UI semantics):

GET/POST /auth/oauth2/authorize (a sign-in page, then a redirect with ?code&state), POST /auth/oauth2/token,
POST /auth/oauth2/revoke, GET /auth/oauth2/logout, GET /auth/.well-known/jwks.json.
The page has no script and no inline style, so it works under the site's CSP.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .identity import AuthorizeRequest, IdentityProvider, OAuthError

_STATIC = Path(__file__).resolve().parent / "static"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MAX_FORM_BYTES = 16 * 1024
_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
           "code_challenge_method")


async def _form(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (python-multipart is not a dependency); first value wins."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise OAuthError("invalid_request", "use application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise OAuthError("invalid_request", "the form is too large")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
        form.setdefault(key, value)
    return form


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><link rel="stylesheet" href="/auth/static/signin.css">'
        '<link rel="icon" href="/auth/static/favicon.svg" type="image/svg+xml"></head>'
        f'<body><main class="card">{body}</main></body></html>'
    )
    return HTMLResponse(document, status_code=status, headers=_NO_STORE)


def _sign_in_form(params: dict[str, str], error: str = "", username: str = "", status: int = 200) -> Response:
    hidden = "".join(f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">'
                     for name in _FIELDS)
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    body = (
        '<h1>Sign in</h1><p class="notice">Local identity provider: for local development only. '
        "Users and groups come from its users file (local/users.yaml by default).</p>"
        f'{alert}<form method="post" action="/auth/oauth2/authorize">{hidden}'
        '<label for="username">User name</label>'
        '<input id="username" name="username" autocomplete="username" required '
        f'value="{html.escape(username)}">'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form>'
    )
    return _page("Sign in (local)", body, status)


def _error_page(error: OAuthError) -> Response:
    reason = f"{html.escape(error.error)}: {html.escape(error.description)}"
    body = f"<h1>Sign-in request refused</h1><p>{reason}</p>"
    return _page("Sign-in request refused", body, 400)


def _redirect(redirect_uri: str, **params: str) -> Response:
    query = urlencode({k: v for k, v in params.items() if v})
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{query}", status_code=302, headers=_NO_STORE)


def _oauth_error(idp: IdentityProvider, params: dict[str, str], error: OAuthError) -> Response:
    # Errors about the request itself go back to the (already validated) client; the rest are shown here.
    if error.status == 302 and params.get("redirect_uri") in idp.redirect_uris:
        return _redirect(params["redirect_uri"], error=error.error, error_description=error.description,
                         state=params.get("state", ""))
    return _error_page(error)


def routes(idp: IdentityProvider) -> list[Route]:
    async def authorize(request: Request) -> Response:
        try:
            params = dict(request.query_params) if request.method == "GET" else await _form(request)
        except OAuthError as error:
            return _error_page(error)
        try:
            checked: AuthorizeRequest = idp.check_authorize(params)
        except OAuthError as error:
            return _oauth_error(idp, params, error)
        if request.method == "GET":
            return _sign_in_form(params)
        username = params.get("username", "")
        # scrypt takes a noticeable fraction of a second: keep it off the event loop.
        code = await run_in_threadpool(idp.sign_in, checked, username, params.get("password", ""))
        if code is None:
            return _sign_in_form(params, "Incorrect user name or password.", username, status=401)
        return _redirect(checked.redirect_uri, code=code, state=checked.state)

    async def token(request: Request) -> Response:
        try:
            form = await _form(request)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                answer = idp.exchange_code(form)
            elif grant_type == "refresh_token":
                answer = idp.refresh(form)
            else:
                raise OAuthError("unsupported_grant_type",
                                 "grant_type must be authorization_code or refresh_token")
        except OAuthError as error:
            return _token_error(error)
        return JSONResponse(answer, headers=_NO_STORE)

    async def revoke(request: Request) -> Response:
        try:
            form = await _form(request)
        except OAuthError as error:
            return _token_error(error)
        idp.revoke(form.get("token", ""), form.get("client_id", ""))
        return Response(status_code=200, headers=_NO_STORE)

    async def logout(request: Request) -> Response:
        # No provider session to end (every sign-in asks for the password); go back to a registered URI.
        target = request.query_params.get("logout_uri") or request.query_params.get("redirect_uri")
        if request.query_params.get("client_id") == idp.client_id and target in idp.redirect_uris:
            return RedirectResponse(target, status_code=302, headers=_NO_STORE)
        return _page("Signed out", '<h1>Signed out</h1><p><a href="/">Back to the chatbot</a></p>')

    async def jwks(request: Request) -> Response:
        return JSONResponse(idp.jwks(), headers={"Cache-Control": "max-age=300"})

    async def stylesheet(request: Request) -> Response:
        return FileResponse(_STATIC / "signin.css", media_type="text/css; charset=utf-8")

    async def icon(request: Request) -> Response:
        return FileResponse(_STATIC / "favicon.svg", media_type="image/svg+xml")

    return [
        Route("/auth/oauth2/authorize", authorize, methods=["GET", "POST"]),
        Route("/auth/oauth2/token", token, methods=["POST"]),
        Route("/auth/oauth2/revoke", revoke, methods=["POST"]),
        Route("/auth/oauth2/logout", logout, methods=["GET"]),
        Route("/auth/logout", logout, methods=["GET"]),  # Cognito's own path, as the deployed config uses
        Route("/auth/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/auth/static/signin.css", stylesheet, methods=["GET"]),
        Route("/auth/static/favicon.svg", icon, methods=["GET"]),
    ]


def _token_error(error: OAuthError) -> Response:
    status = 400 if error.status == 302 else error.status
    return JSONResponse({"error": error.error, "error_description": error.description}, status_code=status,
                        headers=_NO_STORE)

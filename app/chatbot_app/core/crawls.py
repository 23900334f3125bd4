"""Start a web crawl into a workspace (SEC-TRUSTED-IMPORT): the REST side of the web crawler function.

Only workspace managers and admins may start one, into a workspace that takes documents (pgvector or
opensearch; kendra and bedrock-kb workspaces are read-only views: 409). The request is checked here as far
as this function can (https, a well-formed URL, the page limit, and the host and feed settings when they are
set on this function too); the crawler function checks everything again, then crawls in the background:
it is invoked asynchronously and the caller gets the crawl's id at once (202).

Environment: CRAWLER_FUNCTION_NAME (empty: crawling is off, 404), CRAWLER_MAX_PAGES; optional
CRAWLER_ALLOWED_DOMAINS and CRAWLER_FEEDS (the crawler function's values, for earlier refusals).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Mapping
from urllib.parse import urlsplit

from ..rag.engine_config import ENGINES, READ_ONLY_ENGINES
from . import aws, rag_client, workspaces
from .auth import Principal
from .config import Config
from .errors import Conflict, NotFound, UpstreamError, ValidationFailed
from .models import CrawlAccepted, CrawlingOptions, CrawlRequest

log = logging.getLogger(__name__)
WRITABLE_ENGINES = tuple(e for e in ENGINES if e not in READ_ONLY_ENGINES)  # pgvector, opensearch
DISABLED_MESSAGE = "web crawling is not enabled on this stack"


class CrawlingDisabled(NotFound):
    code = "crawling_disabled"


def crawling_options(env: Mapping[str, str]) -> CrawlingOptions:
    """What the documents page may offer (GET /workspaces/options). Settings this function cannot read
    turn the form off rather than the whole options route: starting a crawl then reports them (500)."""
    from ..rag.crawl_job import (
        DEFAULT_MAX_PAGES,
        CrawlSettingsError,
        feeds_from_env,
        hosts_from_env,
        max_pages_from_env,
    )

    enabled = bool(env.get("CRAWLER_FUNCTION_NAME", "").strip())
    try:
        limit, feeds, hosts = max_pages_from_env(env), feeds_from_env(env), hosts_from_env(env)
    except CrawlSettingsError as exc:
        log.error("crawling options: %s", exc)
        return CrawlingOptions(enabled=False, maxPages=DEFAULT_MAX_PAGES, feeds=False, allowedDomains=[])
    return CrawlingOptions(enabled=enabled, maxPages=limit, feeds=enabled and feeds is True,
                           allowedDomains=list(hosts) if enabled else [])


def start_crawl(config: Config, principal: Principal, workspace_id: str, request: CrawlRequest,
                env: Mapping[str, str] | None = None) -> CrawlAccepted:
    from ..rag.crawl_fetch import CrawlRefused, Scope
    from ..rag.crawl_job import CrawlSettingsError, feeds_from_env, hosts_from_env, max_pages_from_env

    env = os.environ if env is None else env
    function = env.get("CRAWLER_FUNCTION_NAME", "").strip()
    if not function:
        raise CrawlingDisabled(DISABLED_MESSAGE)
    workspaces.require_manager(config, principal)
    try:
        limit, feeds, hosts = max_pages_from_env(env), feeds_from_env(env), hosts_from_env(env)
    except CrawlSettingsError as exc:
        raise RuntimeError(str(exc)) from exc  # a deployment error: 500, logged
    max_pages = request.maxPages or limit
    if max_pages > limit:
        raise ValidationFailed(f"maxPages: at most {limit} pages on this stack")
    if request.kind == "feed" and feeds is False:
        raise ValidationFailed("kind: feed crawls are not enabled on this stack")
    try:
        Scope.for_seed(request.url, hosts)
    except CrawlRefused as exc:
        allowed = f"; allowed hosts: {', '.join(hosts)}" if hosts else ""
        raise ValidationFailed(f"url: {exc}{allowed}"[:500], code="crawl_refused") from exc
    workspace = rag_client.invoke(config, "getWorkspace", workspaceId=workspace_id).get("workspace")
    engine = workspace.get("engine") if isinstance(workspace, dict) else None
    engine = engine or "pgvector"  # workspaces from before engines existed
    if engine not in WRITABLE_ENGINES:
        raise Conflict(f"workspace {workspace_id} uses the {engine} engine, a read-only view: crawl into a "
                       f"{' or '.join(WRITABLE_ENGINES)} workspace", code="read_only_workspace")
    crawl_id = uuid.uuid4().hex
    job = {"workspaceId": workspace_id, "crawlId": crawl_id, "url": request.url, "kind": request.kind,
           "maxPages": max_pages, "followLinks": request.followLinks}
    _invoke(config, function, job)
    parts = urlsplit(request.url)
    log.info(json.dumps({"event": "crawl_started", "crawlId": crawl_id, "workspaceId": workspace_id,
                         "url": f"{parts.scheme}://{parts.netloc}{parts.path}", "kind": request.kind,
                         "maxPages": max_pages, "user": principal.sub}))
    return CrawlAccepted(crawlId=crawl_id)


def _invoke(config: Config, function: str, job: dict[str, object]) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        aws.client("lambda", config.region).invoke(
            FunctionName=function, InvocationType="Event", Payload=json.dumps(job).encode()
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("crawler invoke failed: %s", aws.error_code(exc) or type(exc).__name__)
        raise UpstreamError("could not start the crawl; try again in a moment", code="crawler_error") from exc

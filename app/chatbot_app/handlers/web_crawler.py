"""Web crawler function (outside the VPC: it needs the internet, and never touches the database).

Invoked asynchronously by the REST function with a crawl job ({"workspaceId", "crawlId", "url", "kind",
"maxPages", "followLinks"}); the work is rag.crawl_job.run_crawl. Every outcome is logged and returned as a
summary, and nothing is raised: an asynchronous invocation that raises is retried, and a retry would crawl
the site again.

Environment: RAG_FUNCTION_NAME, UPLOADS_BUCKET, optional UPLOADS_KMS_KEY_ARN, CRAWLER_ALLOWED_DOMAINS,
CRAWLER_MAX_PAGES, CRAWLER_MIN_INTERVAL_MS, CRAWLER_FEEDS, MAX_UPLOAD_BYTES.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from ..rag.crawl_job import CrawlJob, CrawlJobInvalid, CrawlSettings, CrawlSettingsError, run_crawl
from ..rag.crawl_store import LambdaRag

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)
logging.getLogger("chatbot_app.rag").setLevel(logging.INFO)

NO_CONTEXT_REMAINING_MS = 900_000  # a local run without a Lambda context


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    crawl_id = event.get("crawlId") if isinstance(event, dict) else None
    try:
        settings = CrawlSettings.from_env(os.environ)
    except CrawlSettingsError as exc:
        return _refused(crawl_id, "misconfigured", str(exc))
    try:
        job = CrawlJob.parse(event, settings)
    except CrawlJobInvalid as exc:
        return _refused(crawl_id, "invalid", str(exc))
    from ..core.aws import client  # cached boto3 clients, created on first use

    remaining = getattr(context, "get_remaining_time_in_millis", None) or (lambda: NO_CONTEXT_REMAINING_MS)
    rag = LambdaRag(client("lambda", settings.region), settings.rag_function)
    try:
        result = run_crawl(job, settings, rag=rag, s3=client("s3", settings.region), remaining_ms=remaining)
    except Exception as exc:
        # The type only: a message could quote a page. Pages stored so far stay stored.
        log.exception("crawl failed: %s", type(exc).__name__)
        return {"event": "crawl_summary", "crawlId": job.crawl_id, "stopped": "error",
                "detail": type(exc).__name__}
    return result.summary()


def _refused(crawl_id: object, why: str, detail: str) -> dict[str, Any]:
    summary = {"event": "crawl_summary", "crawlId": crawl_id if isinstance(crawl_id, str) else None,
               "stopped": why, "detail": detail[:500]}
    log.error(json.dumps(summary))
    return summary

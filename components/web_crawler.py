"""WebCrawler: the function that crawls a site into a workspace (app/chatbot_app/handlers/web_crawler.py).

It runs outside the VPC on purpose: it needs the internet and nothing inside the VPC. It never reaches the
database; it registers each page as a document through the rag service and puts the page into the uploads
bucket under workspaces/, where the ordinary ingestion takes over. What keeps a crawl in scope (https only,
allowed hosts, public addresses only, robots.txt, a rate limit, a page limit) is the app's crawler; its
limits come from the settings through the environment. The REST function starts crawls asynchronously;
a failed crawl is not retried (it would fetch every page again), and at most `max_concurrent_crawls` run
at once, so crawling cannot exhaust the account's concurrency or hammer the sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.iam_statements import key_via_service_statement
from components.lambda_function import AppFunction, AppFunctionArgs
from components.naming import resource_name
from components.retrieval import UPLOAD_PREFIX

HANDLER = "chatbot_app.handlers.web_crawler.handler"
TIMEOUT_SECONDS = 900  # Lambda's maximum: a rate-limited crawl of a few hundred pages


@dataclass(frozen=True)
class WebCrawlerArgs:
    prefix: str
    stack: str
    region: str
    code: pulumi.Input[pulumi.Archive]
    rag_function_name: str
    uploads_bucket_name: pulumi.Input[str]
    uploads_kms_key_arn: pulumi.Input[str] | None  # None: SSE-S3 (dev only)
    allowed_domains: tuple[str, ...]
    max_pages: int
    min_interval_ms: int
    feeds: bool
    max_upload_bytes: int
    log_retention_days: int
    logs_kms_key_arn: pulumi.Input[str] | None
    retain: bool
    xray_tracing: bool
    max_concurrent_crawls: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.max_pages <= 1000:
            raise ValueError(f"max_pages must be 1..1000, got {self.max_pages}")
        if not 200 <= self.min_interval_ms <= 60_000:
            raise ValueError(f"min_interval_ms must be 200..60000, got {self.min_interval_ms}")
        if any("," in host or "/" in host for host in self.allowed_domains):
            raise ValueError(f"allowed_domains must be host names, got {list(self.allowed_domains)}")
        if not 1 <= self.max_concurrent_crawls <= 10:
            raise ValueError("max_concurrent_crawls must be 1..10")

    @property
    def function_name(self) -> str:
        """Known before deployment: the REST function's grant and environment name it."""
        return resource_name(self.prefix, self.stack, "web-crawler", max_length=64)


class WebCrawler(pulumi.ComponentResource):
    function: AppFunction

    def __init__(self, name: str, args: WebCrawlerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("chatbot:rag:WebCrawler", name, None, opts)
        context = AwsContext.of(self)
        rag_arn = context.function_arn(args.region, args.rag_function_name)
        objects = pulumi.Output.concat("arn:", context.partition, ":s3:::", args.uploads_bucket_name, "/",
                                       UPLOAD_PREFIX, "*")
        statements = [
            {"Sid": "RegisterDocuments", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
             "Resource": [rag_arn]},
            {"Sid": "PutCrawledPages", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [objects]},
        ]
        if args.uploads_kms_key_arn is not None:
            statements.append(key_via_service_statement("UploadsKeyThroughS3", args.uploads_kms_key_arn, "s3",
                                                        args.region, ["kms:GenerateDataKey"]))
        environment: dict[str, pulumi.Input[str]] = {
            "RAG_FUNCTION_NAME": args.rag_function_name,
            "UPLOADS_BUCKET": args.uploads_bucket_name,
            "CRAWLER_ALLOWED_DOMAINS": ",".join(args.allowed_domains),
            "CRAWLER_MAX_PAGES": str(args.max_pages),
            "CRAWLER_MIN_INTERVAL_MS": str(args.min_interval_ms),
            "CRAWLER_FEEDS": "true" if args.feeds else "false",
            "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
        }
        if args.uploads_kms_key_arn is not None:
            environment["UPLOADS_KMS_KEY_ARN"] = args.uploads_kms_key_arn
        self.function = AppFunction(f"{name}-function", AppFunctionArgs(
            prefix=args.prefix, stack=args.stack, region=args.region, role="web-crawler", handler=HANDLER,
            code=args.code, log_retention_days=args.log_retention_days,
            logs_kms_key_arn=args.logs_kms_key_arn,
            retain=args.retain, xray_tracing=args.xray_tracing, statements=statements,
            environment=environment, memory_mb=512, timeout_seconds=TIMEOUT_SECONDS,
            reserved_concurrency=args.max_concurrent_crawls,
        ), opts=pulumi.ResourceOptions(parent=self))
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-invoke-config", function_name=self.function.function_name,
            maximum_retry_attempts=0, maximum_event_age_in_seconds=900,
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"function_name": self.function.function_name})

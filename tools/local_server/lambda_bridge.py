"""The functions run in this process: Lambda's Invoke API for the handlers' own invokes (rest -> chat
worker, rest -> web crawler, rest/worker/crawler -> rag), and direct calls for the events this server makes
(REST, WebSocket, SQS).

AWS_ENDPOINT_URL_LAMBDA points boto3 here, so `lambda.invoke` in core/chat.py and core/rag_client.py runs
unchanged: POST /2015-03-31/functions/{name}/invocations. `Event` runs the handler on a background thread
and answers 202 at once; `RequestResponse` answers 200 with its result, or with X-Amz-Function-Error when
it raised (as Lambda does).

Lambda runs one invocation at a time per container, and some handlers rely on it: the rag service and the
document processor keep one database connection per container. Here each of those functions is one
container, so their invocations are serialised; the others keep only thread-safe state and run in parallel.

The web crawler runs for minutes (up to Lambda's 15). Stopping the server must not wait for that: from then
on its context reports no time left, so the crawl stops after the page it is on, as it does near its
timeout in AWS.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .environment import function_name

log = logging.getLogger("local_server.lambda")
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Function:
    role: str
    module: str
    timeout_seconds: int  # the stack's timeouts (components/chat_api/args.py, components/retrieval.py)
    one_at_a_time: bool = False  # its container state is not thread-safe (one database connection)
    ends_at_shutdown: bool = False  # a long job: its remaining time reads 0 once the server stops


FUNCTIONS: dict[str, Function] = {
    function_name(f.role): f
    for f in (
        Function("rest", "chatbot_app.handlers.rest", 29),
        Function("chat-worker", "chatbot_app.handlers.chat_worker", 300),
        Function("ws-authorizer", "chatbot_app.handlers.ws_authorizer", 10),
        Function("ws-connect", "chatbot_app.handlers.ws_connect", 10),
        Function("ws-disconnect", "chatbot_app.handlers.ws_disconnect", 10),
        Function("rag", "chatbot_app.handlers.rag_service", 25, one_at_a_time=True),
        Function("doc-processor", "chatbot_app.handlers.doc_processor", 300, one_at_a_time=True),
        Function("web-crawler", "chatbot_app.handlers.web_crawler", 900, ends_at_shutdown=True),
    )
}


class LambdaContext:
    """What handlers read from Lambda's context object."""

    def __init__(self, function: Function, region: str, stopping: threading.Event | None = None) -> None:
        self.function_name = function_name(function.role)
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + function.timeout_seconds
        self._stopping = stopping if function.ends_at_shutdown else None

    def get_remaining_time_in_millis(self) -> int:
        if self._stopping is not None and self._stopping.is_set():
            return 0
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaRuntime:
    def __init__(self, region: str, event_workers: int = 8) -> None:
        self.region = region
        self._events = ThreadPoolExecutor(max_workers=event_workers, thread_name_prefix="lambda-event")
        self._containers = {f.role: threading.Lock() for f in FUNCTIONS.values() if f.one_at_a_time}
        self._stopping = threading.Event()

    @staticmethod
    def function(role: str) -> Function:
        return FUNCTIONS[function_name(role)]

    def call(self, role: str, event: dict[str, Any]) -> Any:
        """Run one handler synchronously (in the calling thread) with a fresh context."""
        function = self.function(role)
        handler: Handler = importlib.import_module(function.module).handler
        container = self._containers.get(role)
        if container is None:
            return handler(event, LambdaContext(function, self.region, self._stopping))
        with container:  # the context's clock starts when the container is free, as Lambda's does
            return handler(event, LambdaContext(function, self.region, self._stopping))

    def submit(self, role: str, event: dict[str, Any]) -> None:
        """An asynchronous (`Event`) invoke: retries are off in the stack, so a failure is only logged."""
        self._events.submit(self._run_event, role, event)

    def _run_event(self, role: str, event: dict[str, Any]) -> None:
        try:
            self.call(role, event)
        except Exception:
            log.exception("asynchronous invoke of %s failed", role)

    def shutdown(self) -> None:
        """Wait for running invocations (they must not outlive the services they use); drop queued ones.
        Long jobs (the crawler) see their time run out and stop after their current step."""
        self._stopping.set()
        self._events.shutdown(wait=True, cancel_futures=True)


def _aws_error(status: int, error_type: str, message: str) -> Response:
    return JSONResponse({"Type": "User", "message": message}, status_code=status,
                        headers={"x-amzn-ErrorType": error_type})


def invoke_route(runtime: LambdaRuntime) -> Route:
    async def invoke(request: Request) -> Response:
        name = request.path_params["name"].rsplit(":function:", 1)[-1].split(":")[0]
        function = FUNCTIONS.get(name)
        if function is None:
            return _aws_error(404, "ResourceNotFoundException", f"Function not found: {name}")
        try:
            event = json.loads(await request.body() or b"{}")
        except ValueError:
            return _aws_error(400, "InvalidRequestContentException", "Could not parse request body into json")
        kind = request.headers.get("x-amz-invocation-type", "RequestResponse")
        if kind == "DryRun":
            return Response(status_code=204)
        if kind == "Event":
            runtime.submit(function.role, event)
            return Response(status_code=202)
        try:
            result = await run_in_threadpool(runtime.call, function.role, event)
        except Exception as exc:
            log.exception("invoke of %s failed", function.role)
            body = {"errorMessage": str(exc), "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_exception(exc)[-5:]}
            return JSONResponse(body, headers={"X-Amz-Function-Error": "Unhandled",
                                               "X-Amz-Executed-Version": "$LATEST"})
        return Response(json.dumps(result), media_type="application/json",
                        headers={"X-Amz-Executed-Version": "$LATEST"})

    return Route("/2015-03-31/functions/{name}/invocations", invoke, methods=["POST"])

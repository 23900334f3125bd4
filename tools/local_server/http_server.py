"""The uvicorn server in a background thread, with the in-process Lambda runtime and the queue poller."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3
import uvicorn

from . import environment as envs
from .app import build_app
from .errors import StartupError
from .identity import IdentityProvider, load_signing_key
from .lambda_bridge import LambdaRuntime
from .processor import QueuePoller
from .site import WEB_ROOT, runtime_config
from .websocket_bridge import Connections

if TYPE_CHECKING:
    from .server import LocalServer

STARTUP_TIMEOUT_SECONDS = 15
GRACEFUL_SHUTDOWN_SECONDS = 5


def start_http(server: LocalServer, sock: socket.socket, endpoints: envs.Endpoints) -> Callable[[], None]:
    """Start serving on `sock`; returns the function that stops the poller, the runtime and the server."""
    opts, mode, resources = server.options, server.mode, server.queue
    runtime = LambdaRuntime(mode.region)
    idp = IdentityProvider(issuer=endpoints.issuer, client_id=envs.CLIENT_ID,
                           redirect_uris=(f"{server.url}/",), users_file=opts.users_file,
                           key=load_signing_key(opts.data_dir))
    models = [envs.embedding_model(envs.Models(mode.local, mode.region))]
    config = runtime_config(server.url, endpoints.websocket, envs.CLIENT_ID, mode.notice, models)
    app = build_app(runtime=runtime, connections=Connections(), idp=idp, moto_url=endpoints.moto,
                    config=config, web_root=opts.web_root or WEB_ROOT)
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio",
                                       timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, name="local-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not uv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not uv.started:
        uv.should_exit = True
        thread.join(GRACEFUL_SHUTDOWN_SECONDS)
        raise StartupError(f"the HTTP server did not start on {server.url}")
    sqs = boto3.client("sqs", region_name=mode.region)  # the process env points it at moto
    poller = QueuePoller(runtime, sqs, resources.queue_url, resources.queue_arn)
    poller.start()

    def stop() -> None:
        poller.stop()
        runtime.shutdown()  # running answers finish (they push through the server, still up)
        uv.should_exit = True
        thread.join(GRACEFUL_SHUTDOWN_SECONDS + 5)

    return stop

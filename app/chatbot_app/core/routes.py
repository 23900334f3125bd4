"""The REST API's routes: one table that the handler dispatches on and the OpenAPI document is built from."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from . import bedrock, chat, crawls, sessions, settings_store, usage, workspaces
from .auth import Principal
from .clock import now_ms
from .config import SAGEMAKER_PREFIX, Config
from .errors import MethodNotAllowed, NotFound
from .models import (
    PARAM_PATTERNS_DOC,
    CrawlAccepted,
    CrawlRequest,
    CreateSessionRequest,
    CreateWorkspaceRequest,
    DocumentList,
    FeedbackRequest,
    InferenceSettings,
    Message,
    MessageAccepted,
    ModelList,
    SendMessageRequest,
    Session,
    SessionDetail,
    SessionList,
    SettingsUpdateRequest,
    UpdateSessionRequest,
    UploadRequest,
    UploadTicket,
    UsageReport,
    Workspace,
    WorkspaceList,
    WorkspaceOptions,
)

PARAM_PATTERNS = PARAM_PATTERNS_DOC


@dataclass(frozen=True)
class Call:
    config: Config
    principal: Principal
    params: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation_id: str
    summary: str
    action: Callable[[Call], Any]
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()  # statuses beyond the ones every route of its kind can answer

    def match(self, path: str) -> dict[str, str] | None:
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$"
        found = re.match(regex, path)
        return found.groupdict() if found else None


def _list(call: Call) -> SessionList:
    return SessionList(sessions=sessions.list_sessions(call.config.sessions_table, call.principal.sub))


def _create(call: Call) -> Session:
    workspace_id = call.body.workspaceId
    if workspace_id:
        workspaces.get_workspace(call.config, workspace_id)  # 404 for an unknown one
    return sessions.create(call.config.sessions_table, call.principal.sub, call.body.title, workspace_id)


def _get(call: Call) -> SessionDetail:
    table, sub, sid = call.config.sessions_table, call.principal.sub, call.params["sessionId"]
    return SessionDetail(session=sessions.get(table, sub, sid), messages=sessions.messages(table, sub, sid))


def _update(call: Call) -> Session:
    body: UpdateSessionRequest = call.body
    rebind = "workspaceId" in body.model_fields_set
    if rebind and body.workspaceId:
        workspaces.get_workspace(call.config, body.workspaceId)  # 404 for an unknown one
    return sessions.update(
        call.config.sessions_table,
        call.principal.sub,
        call.params["sessionId"],
        title=body.title,
        rebind=rebind,
        workspace_id=body.workspaceId,
    )


def _delete(call: Call) -> None:
    sessions.delete(call.config.sessions_table, call.principal.sub, call.params["sessionId"])


def _send(call: Call) -> MessageAccepted:
    return chat.accept(call.config, call.principal, call.params["sessionId"], call.body)


def _usage(call: Call) -> UsageReport:
    config = call.config
    return usage.report(
        config.usage_table,
        call.principal.sub,
        now_ms(),
        config.quota_messages_per_day,
        config.quota_tokens_per_day,
    )


def _feedback(call: Call) -> Message:
    sessions.get(call.config.sessions_table, call.principal.sub, call.params["sessionId"])
    return sessions.set_feedback(
        call.config.sessions_table,
        call.principal.sub,
        call.params["sessionId"],
        call.params["messageId"],
        call.body.rating,
        call.body.comment,
    )


def _models(call: Call) -> ModelList:
    return ModelList(models=bedrock.list_models(call.config))


def _read_settings(call: Call) -> InferenceSettings:
    return settings_store.read(call.config)


def _update_settings(call: Call) -> InferenceSettings:
    who = {"sub": call.principal.sub, "username": call.principal.username}
    # Only load the model list when the admin actually changes the default model. The default is a Bedrock
    # model: a self-hosted one may be stopped out of hours, and every new chat would then fail.
    models: set[str] = set()
    if call.body.defaultModel:
        models = {m.modelId for m in bedrock.list_models(call.config)
                  if not m.modelId.startswith(SAGEMAKER_PREFIX)}
    return settings_store.update(call.config, who, call.principal.groups, call.body, models)


_RAG = (404, 502)  # 404 also when the stack has no retrieval; 502 when the rag service fails
_MANAGED = (403, *_RAG)  # WORKSPACE_MANAGER_GROUP or ADMIN_GROUP only

ROUTES: tuple[Route, ...] = (
    Route("GET", "/sessions", "listSessions", "List the caller's sessions", _list, response=SessionList),
    Route(
        "POST",
        "/sessions",
        "createSession",
        "Create a session, optionally bound to a workspace",
        _create,
        CreateSessionRequest,
        Session,
        201,
        (502,),
    ),
    Route(
        "GET",
        "/sessions/{sessionId}",
        "getSession",
        "A session with its messages",
        _get,
        response=SessionDetail,
    ),
    Route(
        "PATCH",
        "/sessions/{sessionId}",
        "updateSession",
        "Rename a session, bind it to a workspace or unbind it (workspaceId null)",
        _update,
        UpdateSessionRequest,
        Session,
        errors=(502,),
    ),
    Route(
        "DELETE",
        "/sessions/{sessionId}",
        "deleteSession",
        "Delete a session and its messages",
        _delete,
        status=204,
    ),
    Route(
        "POST",
        "/sessions/{sessionId}/messages",
        "sendMessage",
        "Ask a question; the answer streams to the caller's WebSocket connections",
        _send,
        SendMessageRequest,
        MessageAccepted,
        202,
        (429, 503),
    ),
    Route(
        "POST",
        "/sessions/{sessionId}/messages/{messageId}/feedback",
        "putFeedback",
        "Thumbs up/down and a comment on an answer",
        _feedback,
        FeedbackRequest,
        Message,
    ),
    Route(
        "GET",
        "/usage",
        "getUsage",
        "Today's messages and tokens against the daily quotas",
        _usage,
        response=UsageReport,
    ),
    Route(
        "GET", "/models", "listModels", "Bedrock text models available to chat", _models, response=ModelList
    ),
    Route(
        "GET",
        "/settings",
        "getSettings",
        "Runtime inference settings",
        _read_settings,
        response=InferenceSettings,
    ),
    Route(
        "PUT",
        "/settings",
        "updateSettings",
        "Change runtime inference settings (admin group only)",
        _update_settings,
        SettingsUpdateRequest,
        InferenceSettings,
    ),
    Route(
        "GET",
        "/workspaces",
        "listWorkspaces",
        "Workspaces a session can be bound to (any signed-in user)",
        lambda call: workspaces.list_workspaces(call.config),
        response=WorkspaceList,
        errors=_RAG,
    ),
    Route(
        "POST",
        "/workspaces",
        "createWorkspace",
        "Create a workspace (workspace managers and admins)",
        lambda call: workspaces.create_workspace(call.config, call.principal, call.body),
        CreateWorkspaceRequest,
        Workspace,
        201,
        _MANAGED,
    ),
    Route(
        "GET",
        "/workspaces/options",
        "getWorkspaceOptions",
        "Engines, indexes, knowledge bases and reranking models a new workspace can use (managers, admins)",
        lambda call: workspaces.workspace_options(call.config, call.principal),
        response=WorkspaceOptions,
        errors=_MANAGED,
    ),
    Route(
        "GET",
        "/workspaces/{workspaceId}",
        "getWorkspace",
        "A workspace (any signed-in user)",
        lambda call: workspaces.get_workspace(call.config, call.params["workspaceId"]),
        response=Workspace,
        errors=_RAG,
    ),
    Route(
        "DELETE",
        "/workspaces/{workspaceId}",
        "deleteWorkspace",
        "Delete a workspace with its documents and uploads (workspace managers and admins)",
        lambda call: workspaces.delete_workspace(call.config, call.principal, call.params["workspaceId"]),
        status=204,
        errors=_MANAGED,
    ),
    Route(
        "GET",
        "/workspaces/{workspaceId}/documents",
        "listDocuments",
        "A workspace's documents with their ingestion status (workspace managers and admins)",
        lambda call: workspaces.list_documents(call.config, call.principal, call.params["workspaceId"]),
        response=DocumentList,
        errors=_MANAGED,
    ),
    Route(
        "POST",
        "/workspaces/{workspaceId}/documents",
        "createUpload",
        "Register a document and get a presigned POST for its file (workspace managers and admins)",
        lambda call: workspaces.new_upload(
            call.config, call.principal, call.params["workspaceId"], call.body
        ),
        UploadRequest,
        UploadTicket,
        201,
        _MANAGED,
    ),
    Route(
        "DELETE",
        "/workspaces/{workspaceId}/documents/{documentId}",
        "deleteDocument",
        "Delete a document, its chunks and its uploads (workspace managers and admins)",
        lambda call: workspaces.delete_document(
            call.config, call.principal, call.params["workspaceId"], call.params["documentId"]
        ),
        status=204,
        errors=_MANAGED,
    ),
    Route(
        "POST",
        "/workspaces/{workspaceId}/crawls",
        "startCrawl",
        "Crawl a site into a workspace in the background (workspace managers and admins)",
        lambda call: crawls.start_crawl(call.config, call.principal, call.params["workspaceId"], call.body),
        CrawlRequest,
        CrawlAccepted,
        202,
        (*_MANAGED, 409),
    ),
)


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    allowed = False
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            for name, value in params.items():
                if not re.match(PARAM_PATTERNS[name], value):
                    raise NotFound(f"no such {name}")
            return route, params
        allowed = True
    if allowed:
        raise MethodNotAllowed(f"{method} is not allowed on {path}")
    raise NotFound(f"no route for {path}")

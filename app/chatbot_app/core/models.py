"""Request and response bodies. Requests forbid unknown fields so nobody can smuggle prompt overrides."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .config import MODEL_ID_PATTERN

SESSION_ID = r"^[0-9a-f]{32}$"
MESSAGE_ID = r"^[0-9]{13}-[0-9a-f]{8}-[ua]$"
ANSWER_ID = r"^[0-9]{13}-[0-9a-f]{8}-a$"
MODEL_ID = MODEL_ID_PATTERN
PARAM_PATTERNS_DOC = {"sessionId": SESSION_ID, "messageId": MESSAGE_ID}


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSessionRequest(Request):
    title: str = Field(default="New chat", min_length=1, max_length=200)


class RenameSessionRequest(Request):
    title: str = Field(min_length=1, max_length=200)


class FeedbackRequest(Request):
    rating: Literal["up", "down"]
    comment: str = Field(default="", max_length=2000)


class SettingsUpdateRequest(Request):
    """Admin-only. `version` is the version read before editing (optimistic concurrency)."""

    version: int = Field(ge=0)
    defaultModel: str | None = Field(default=None, pattern=MODEL_ID)
    temperature: float | None = Field(default=None, ge=0, le=1)
    maxTokens: int | None = Field(default=None, ge=1, le=8192)
    systemPrompt: str | None = Field(default=None, max_length=4000)
    historyLength: int | None = Field(default=None, ge=0, le=50)


class SendMessageRequest(Request):
    """`POST /sessions/{sessionId}/messages`. The text limit (MAX_MESSAGE_CHARS) is applied from config."""

    text: str = Field(min_length=1)
    modelId: str | None = Field(default=None, pattern=MODEL_ID)


class MessageAccepted(Response):
    """202: the answer streams over the WebSocket; every frame carries this `messageId` (the answer's)."""

    messageId: str = Field(pattern=ANSWER_ID)


class ChatJob(BaseModel):
    """What the REST function hands the worker (asynchronous Lambda invoke). Built only after the owner,
    the model and the quota were checked; `requestedAt` (epoch ms) names the usage day that was reserved.
    `streaming` comes from the model listing the REST function checked (the worker may not list models):
    true means ConverseStream, false means Converse. Absent (a job from an older REST function) = true."""

    model_config = ConfigDict(extra="forbid")

    userSub: str = Field(min_length=1, max_length=128)
    username: str = Field(min_length=1, max_length=256)
    sessionId: str = Field(pattern=SESSION_ID)
    messageId: str = Field(pattern=ANSWER_ID)
    text: str = Field(min_length=1)
    modelId: str = Field(pattern=MODEL_ID)
    requestedAt: int = Field(ge=0)
    streaming: bool = True


class Usage(Response):
    inputTokens: int = 0
    outputTokens: int = 0
    totalTokens: int = 0


class Feedback(Response):
    rating: Literal["up", "down"]
    comment: str = ""
    updatedAt: str


class Message(Response):
    messageId: str
    role: Literal["user", "assistant"]
    text: str
    createdAt: str
    modelId: str | None = None
    usage: Usage | None = None
    feedback: Feedback | None = None


class Session(Response):
    sessionId: str
    title: str
    createdAt: str
    updatedAt: str
    messageCount: int = 0
    totalTokens: int = 0


class SessionList(Response):
    sessions: list[Session]


class SessionDetail(Response):
    session: Session
    messages: list[Message]


class ModelInfo(Response):
    modelId: str
    name: str
    provider: str
    streaming: bool = Field(
        description="Whether the model streams its answer (Bedrock `responseStreamingSupported`; an "
        "inference profile streams if all its models do). False: the answer arrives as one `delta` frame."
    )


class ModelList(Response):
    models: list[ModelInfo]


class InferenceSettings(Response):
    defaultModel: str
    temperature: float = Field(ge=0, le=1)
    maxTokens: int = Field(ge=1, le=8192)
    systemPrompt: str = Field(max_length=4000)
    historyLength: int = Field(ge=0, le=50)
    version: int = 0
    updatedAt: str | None = None
    updatedBy: str | None = None


class Allowance(Response):
    used: int
    limit: int


class UsageReport(Response):
    """Today's (UTC) use against the per-user quotas. `messages.used` counts answers still in progress."""

    day: str
    resetsAt: str
    messages: Allowance
    tokens: Allowance


class ErrorDetail(Response):
    code: str
    message: str


class ErrorBody(Response):
    error: ErrorDetail

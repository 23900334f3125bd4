"""Request and response bodies. Requests forbid unknown fields so nobody can smuggle prompt overrides."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .config import MODEL_ID_PATTERN

SESSION_ID = r"^[0-9a-f]{32}$"
MESSAGE_ID = r"^[0-9]{13}-[0-9a-f]{8}-[ua]$"
ANSWER_ID = r"^[0-9]{13}-[0-9a-f]{8}-a$"
MODEL_ID = MODEL_ID_PATTERN
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PARAM_PATTERNS_DOC = {
    "sessionId": SESSION_ID,
    "messageId": MESSAGE_ID,
    "workspaceId": UUID,
    "documentId": UUID,
}
SNIPPET_CHARS = 300


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSessionRequest(Request):
    title: str = Field(default="New chat", min_length=1, max_length=200)
    workspaceId: str | None = Field(
        default=None, pattern=UUID, description="Bind the session to a workspace: answers cite its documents."
    )


class UpdateSessionRequest(Request):
    """Rename and/or (re)bind. `workspaceId: null` unbinds the session; a field left out stays as it is."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    title: str | None = Field(default=None, min_length=1, max_length=200)
    workspaceId: str | None = Field(default=None, pattern=UUID)

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateSessionRequest:
        if self.title is None and "workspaceId" not in self.model_fields_set:
            raise ValueError("nothing to change: send title and/or workspaceId")
        return self


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


class Source(Response):
    """A passage an answer was given with; the answer cites it as [n]."""

    n: int = Field(ge=1)
    documentId: str
    fileName: str
    location: dict[str, Any] = Field(
        default_factory=dict, description="Where in the document: page, slide, sheet, headingPath."
    )
    score: float
    snippet: str = Field(max_length=SNIPPET_CHARS)


class Message(Response):
    messageId: str
    role: Literal["user", "assistant"]
    text: str
    createdAt: str
    modelId: str | None = None
    usage: Usage | None = None
    feedback: Feedback | None = None
    sources: list[Source] | None = Field(
        default=None,
        description="Answers in a session bound to a workspace: the passages searched, in citation order.",
    )


class Session(Response):
    sessionId: str
    title: str
    createdAt: str
    updatedAt: str
    messageCount: int = 0
    totalTokens: int = 0
    workspaceId: str | None = None


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


Engine = Literal["pgvector", "opensearch", "kendra", "bedrock-kb"]
ENGINE_REF = r"^[A-Za-z0-9][A-Za-z0-9:/_-]{0,199}$"


class CreateWorkspaceRequest(Request):
    """Chunk sizes are estimated tokens. `engine` must be one the stack enables (see GET /workspaces/options).
    pgvector and opensearch need `embeddingModel` (one the stack enables, EMBEDDING_MODELS); kendra and
    bedrock-kb read an existing index or knowledge base, named by `engineRef`, and take no embedding model.
    `rerankModel` turns on reranking of the passages with one of the stack's reranking models."""

    name: str = Field(min_length=1, max_length=100)
    embeddingModel: str | None = Field(default=None, pattern=MODEL_ID)
    chunkSize: int = Field(default=300, ge=16, le=8000)
    chunkOverlap: int = Field(default=50, ge=0, le=4000)
    hybridSearch: bool = False
    engine: Engine = "pgvector"
    engineRef: str | None = Field(default=None, pattern=ENGINE_REF)
    rerankModel: str | None = Field(default=None, pattern=MODEL_ID)

    @model_validator(mode="after")
    def _overlap_fits(self) -> CreateWorkspaceRequest:
        if self.chunkOverlap > self.chunkSize // 2:
            raise ValueError(f"chunkOverlap must be at most chunkSize/2 ({self.chunkSize // 2})")
        return self


class Workspace(Response):
    """`embeddingModel` and `dimension` are null for kendra and bedrock-kb workspaces (which embed with the
    index's own model); those take no uploads."""

    id: str
    name: str
    embeddingModel: str | None = None
    dimension: int | None = None
    chunkSize: int
    chunkOverlap: int
    hybridSearch: bool
    engine: Engine = "pgvector"
    engineRef: str | None = None
    rerankModel: str | None = None


class EngineRefOption(Response):
    id: str
    name: str


class CrawlingOptions(Response):
    """Whether POST /workspaces/{id}/crawls is on, and its limits: the most pages one crawl may fetch,
    whether a crawl may start from a feed, and the hosts it may visit besides its start URL's (empty: that
    host only)."""

    enabled: bool
    maxPages: int
    feeds: bool
    allowedDomains: list[str]


class WorkspaceOptions(Response):
    """The choices a new workspace has on this stack: enabled engines (readOnlyEngines take no uploads), the
    Kendra indexes and knowledge bases read-only workspaces can name, and the reranking models; `crawling`
    tells the documents page whether (and how) it may offer to crawl a site into a workspace."""

    engines: list[Engine]
    readOnlyEngines: list[Engine]
    kendraIndexes: list[EngineRefOption]
    knowledgeBases: list[EngineRefOption]
    rerankModels: list[str]
    crawling: CrawlingOptions


class WorkspaceList(Response):
    workspaces: list[Workspace]


class Document(Response):
    id: str
    fileName: str
    version: str = Field(
        pattern=r"^[0-9]{1,20}$",
        description="Upload time in nanoseconds, as a string (JavaScript numbers cannot hold it exactly).",
    )
    status: Literal["queued", "processing", "ready", "failed"]
    reason: str | None = None
    chunkCount: int = 0
    updatedAt: str | None = None


class DocumentList(Response):
    documents: list[Document]


class UploadRequest(Request):
    """`size` is the file's size in bytes; the presigned policy enforces the stack's limit again."""

    fileName: str = Field(min_length=1, max_length=200)
    contentType: str = Field(min_length=1, max_length=200)
    size: int = Field(ge=1)


class PresignedPost(Response):
    """POST `fields` and then the file (as the last form field, `file`) to `url` before `expiresAt`."""

    url: str
    fields: dict[str, str]
    expiresAt: str


class UploadTicket(Response):
    upload: PresignedPost
    document: Document


class CrawlRequest(Request):
    """Crawl a site into a workspace: from a start page (following its links), a sitemap or a feed. Only the
    allowed hosts are crawled, and robots.txt is honoured; each page becomes an HTML document."""

    url: str = Field(min_length=12, max_length=2000, pattern=r"^https://\S+$")
    kind: Literal["page", "sitemap", "feed"] = "page"
    maxPages: int | None = Field(
        default=None, ge=1, le=100_000, description="At most CRAWLER_MAX_PAGES; absent: that limit."
    )
    followLinks: bool = True


class CrawlAccepted(Response):
    """The crawl runs in the background; its pages appear as documents as they are ingested."""

    crawlId: str


class ErrorDetail(Response):
    code: str
    message: str


class ErrorBody(Response):
    error: ErrorDetail

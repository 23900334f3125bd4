"""The rag service's requests: one strict pydantic model per op (unknown fields refused, camelCase on the
wire), with the bounds the store and the chunker accept. Filters reuse the store's filter models, so their
values only ever reach SQL as bind parameters."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from .chunking import ChunkingConfig
from .engine_config import READ_ONLY_ENGINES, EngineConfig
from .filters import MAX_FILTERS, Equals, In, Key, Range
from .parsers import UnsupportedFormat, detect_format
from .uploads import UploadRejected, clean_file_name, document_id

MAX_K = 20
MAX_QUERY_CHARS = 2000  # Cohere embeds at most 2,048 characters; a question is far shorter
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SURROGATE = re.compile("[\ud800-\udfff]")


# Requests -----------------------------------------------------------------------------------------------
def parse_uuid(value: object) -> uuid.UUID:
    if isinstance(value, str) and _UUID.match(value):
        return uuid.UUID(value)
    raise ValueError("must be a UUID string like 123e4567-e89b-12d3-a456-426614174000")


Id = Annotated[uuid.UUID, BeforeValidator(parse_uuid)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]


class OpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)


# On the wire a filter's metadata key is "field"; the store's filter models (and their SQL) are reused as is.
class EqFilter(Equals):
    key: Key = Field(alias="field")


class InFilter(In):
    key: Key = Field(alias="field")


class RangeFilter(Range):
    key: Key = Field(alias="field")


WireFilter = Annotated[EqFilter | InFilter | RangeFilter, Field(discriminator="op")]
FILTER_MODELS: dict[str, type[BaseModel]] = {"eq": EqFilter, "in": InFilter, "range": RangeFilter}


class ListWorkspaces(OpRequest):
    op: Literal["listWorkspaces"]


class GetWorkspace(OpRequest):
    op: Literal["getWorkspace", "deleteWorkspace", "listDocuments"]
    workspace_id: Id


class CreateWorkspace(OpRequest):
    """`engine` must be enabled (RAG_ENGINES); kendra and bedrock-kb take the index or knowledge base id in
    `engineRef` and no embedding model (they embed with their own); the others need `embeddingModel`."""

    op: Literal["createWorkspace"]
    name: Name
    embedding_model: str | None = None
    chunk_size: StrictInt = Field(default=ChunkingConfig.chunk_size, ge=16, le=8000)
    chunk_overlap: StrictInt = Field(default=ChunkingConfig.overlap, ge=0)
    hybrid_search: StrictBool = False
    engine: Literal["pgvector", "opensearch", "kendra", "bedrock-kb"] = "pgvector"
    engine_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    rerank_model: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None

    @field_validator("embedding_model")
    @classmethod
    def _enabled(cls, value: str | None, info: ValidationInfo) -> str | None:
        enabled = (info.context or {}).get("models", ())
        if value is not None and value not in enabled:
            raise ValueError(f"must be one of the models enabled on this stack: {', '.join(enabled)}")
        return value

    @model_validator(mode="after")
    def _overlap(self) -> CreateWorkspace:
        if self.chunk_overlap > self.chunk_size // 2:  # ChunkingConfig's rule; also keeps overlap < size
            raise ValueError(f"chunkOverlap must be at most chunkSize/2 ({self.chunk_size // 2}), "
                             f"got {self.chunk_overlap}")
        return self

    @model_validator(mode="after")
    def _engine(self, info: ValidationInfo) -> CreateWorkspace:
        engines: EngineConfig = (info.context or {}).get("engines") or EngineConfig()
        engines.check(self.engine, self.engine_ref, self.rerank_model)  # ValueError names the field
        if self.engine in READ_ONLY_ENGINES:
            if self.embedding_model is not None:
                raise ValueError(f"embeddingModel: the {self.engine} engine embeds with its own model; "
                                 "leave it out")
        elif self.embedding_model is None:
            raise ValueError(f"embeddingModel: required for the {self.engine} engine")
        if self.hybrid_search and self.engine != "pgvector":
            raise ValueError(f"hybridSearch: only the pgvector engine has hybrid search, not {self.engine}")
        return self


class RegisterUpload(OpRequest):
    op: Literal["registerUpload"]
    workspace_id: Id
    document_id: Id
    file_name: str
    version: StrictInt = Field(ge=0, le=2**63 - 1)

    @field_validator("file_name")
    @classmethod
    def _file_name(cls, value: str) -> str:
        try:
            name = clean_file_name(value)
            detect_format(name)
        except (UploadRejected, UnsupportedFormat) as error:
            raise ValueError(str(error).removeprefix("fileName ")) from error
        return name

    @model_validator(mode="after")
    def _derived_id(self) -> RegisterUpload:
        if self.document_id != document_id(self.workspace_id, self.file_name):
            raise ValueError("documentId must be the id the upload key derives from workspaceId and fileName")
        return self


class DeleteDocument(OpRequest):
    op: Literal["deleteDocument"]
    workspace_id: Id
    document_id: Id


class Search(OpRequest):
    op: Literal["search"]
    workspace_id: Id
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_QUERY_CHARS,
                                            pattern=r"^[^\x00]+$")]
    k: StrictInt = Field(default=5, ge=1, le=MAX_K)
    filters: list[WireFilter] = Field(default_factory=list, max_length=MAX_FILTERS)

    @field_validator("filters")
    @classmethod
    def _storable(cls, filters: list[Equals | In | Range]) -> list[Equals | In | Range]:
        # jsonb holds neither NUL nor lone surrogates: refuse them here rather than fail in the database.
        for f in filters:
            values = [getattr(f, name, None) for name in ("value", "gt", "gte", "lt", "lte")]
            strings = [v for v in [*values, *getattr(f, "values", [])] if isinstance(v, str)]
            if any("\x00" in v or _SURROGATE.search(v) for v in strings):
                raise ValueError("filter values must be Unicode text without NUL characters")
        return filters



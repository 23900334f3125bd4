"""Structure-aware chunking with overlap.

Rules:
- A chunk never spans two sections, so it never crosses a PDF page, a slide, a sheet or a heading, and it
  carries exactly one location (page / slide / sheet / heading path).
- Inside a section, text is split at the coarsest boundary that makes each piece fit: paragraphs (blank
  lines), then lines, then sentences, then words, and only for a single over-long word, characters.
  Pieces are packed greedily up to `chunk_size`.
- Each chunk after the first in a section starts with up to `overlap` tokens from the end of the previous
  chunk, cut at a sentence or line boundary when one fits, else at a word boundary (verbatim text).
- Table sections (spreadsheets, CSV) are split by rows with the header row repeated in every chunk and
  no overlap (a row is a self-contained record; repeating it would duplicate search hits).

Tokens are estimated, not counted with a model tokenizer (Titan and Cohere use different ones and
neither ships one for Lambda): tokens = max(ceil(words * 4/3), ceil(characters / 4)). The word term fits
English prose (about 0.75 words per token), the character term fits text without spaces (CJK, code, ids).
Taking the larger over-estimates rather than under-estimates, so a chunk stays within a model's limit.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .parsers.base import ParsedDocument, Section

_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"\n")
_SENTENCE = re.compile(r"(?<=[.!?;。！？])\s+")
_WORD = re.compile(r"\s+")
# (pattern, joiner put back between the pieces it separates), coarsest first
_LEVELS: list[tuple[re.Pattern[str], str]] = [
    (_PARAGRAPH, "\n\n"), (_LINE, "\n"), (_SENTENCE, " "), (_WORD, " ")
]
_OVERLAP_CUTS = re.compile(r"(?<=[.!?;。！？])\s+|\n+")


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    return max(math.ceil(len(text.split()) * 4 / 3), math.ceil(len(text) / 4))


@dataclass(frozen=True)
class ChunkingConfig:
    chunk_size: int = 300  # estimated tokens per chunk
    overlap: int = 50  # estimated tokens carried over from the previous chunk

    def __post_init__(self) -> None:
        if not 16 <= self.chunk_size <= 8000:
            raise ValueError(f"chunk_size must be between 16 and 8000 tokens, got {self.chunk_size}")
        if not 0 <= self.overlap <= self.chunk_size // 2:
            half = self.chunk_size // 2
            raise ValueError(f"overlap must be between 0 and chunk_size/2 ({half}), got {self.overlap}")


@dataclass(frozen=True)
class Chunk:
    index: int  # position in the document, from 0
    text: str
    tokens: int  # estimated
    section: int  # index of the section it comes from
    page: int | None = None
    slide: int | None = None
    sheet: str | None = None
    heading_path: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def metadata(self) -> dict[str, object]:
        place: dict[str, object] = {"page": self.page, "slide": self.slide, "sheet": self.sheet}
        place = {key: value for key, value in place.items() if value is not None}
        if self.heading_path:
            place["heading_path"] = list(self.heading_path)
        return place

    def embedding_text(self) -> str:
        """The text to embed: the heading path first, so a chunk deep in a section keeps its context."""
        if not self.heading_path or self.text.startswith(self.heading_path[-1]):
            return self.text
        return " > ".join(self.heading_path) + "\n\n" + self.text


def chunk_document(document: ParsedDocument, config: ChunkingConfig | None = None) -> list[Chunk]:
    return list(chunk_sections(document.sections, config))


def chunk_sections(sections: Iterable[Section], config: ChunkingConfig | None = None,
                   start_index: int = 0) -> Iterator[Chunk]:
    config = config or ChunkingConfig()
    index = start_index
    for number, section in enumerate(sections):
        table = section.kind == "table"
        texts = _table_chunks(section, config) if table else _text_chunks(section.text, config)
        for text in texts:
            yield Chunk(index=index, text=text, tokens=estimate_tokens(text), section=number,
                        page=section.page, slide=section.slide, sheet=section.sheet,
                        heading_path=section.heading_path)
            index += 1


def chunk_text(text: str, config: ChunkingConfig | None = None) -> list[str]:
    return _text_chunks(text, config or ChunkingConfig())


def _pieces(text: str, joiner: str, budget: int, level: int = 0) -> list[tuple[str, str]]:
    """(piece, joiner before it) pairs, each piece within budget, split at the coarsest boundary possible."""
    if estimate_tokens(text) <= budget:
        return [(text, joiner)]
    if level == len(_LEVELS):  # one word longer than a chunk: cut by characters
        step = budget * 4
        return [(text[i:i + step], joiner if i == 0 else "") for i in range(0, len(text), step)]
    pattern, inner = _LEVELS[level]
    parts = [part.strip() for part in pattern.split(text) if part.strip()]
    if len(parts) <= 1:
        return _pieces(text.strip(), joiner, budget, level + 1)
    out: list[tuple[str, str]] = []
    for position, part in enumerate(parts):
        out.extend(_pieces(part, joiner if position == 0 else inner, budget, level + 1))
    return out


def _join(pieces: list[tuple[str, str]]) -> str:
    return "".join(text if position == 0 else joiner + text for position, (text, joiner) in enumerate(pieces))


def _text_chunks(text: str, config: ChunkingConfig) -> list[str]:
    text = text.strip()
    if not text:
        return []
    size = config.chunk_size
    chunks: list[str] = []
    current: list[tuple[str, str]] = []
    used = 0
    for piece, joiner in _pieces(text, "", size):
        cost = estimate_tokens(joiner + piece)  # per-piece estimates add up to at least the joined estimate
        if current and used + cost > size:
            emitted = _join(current)
            chunks.append(emitted)
            tail = _tail(emitted, min(config.overlap, size - cost))
            current = [(tail, "")] if tail else []
            used = estimate_tokens(tail)
        current.append((piece, joiner))
        used += cost
    if current:
        chunks.append(_join(current))
    return chunks


def _tail(text: str, budget: int) -> str:
    """The longest verbatim end of `text` within budget, starting at a sentence or line boundary if one
    fits, else at a word boundary; '' when not even one word fits."""
    if budget <= 0:
        return ""
    for cuts in (_OVERLAP_CUTS, _WORD):
        best = ""
        for match in reversed(list(cuts.finditer(text))):
            candidate = text[match.end():]
            if estimate_tokens(candidate) > budget:
                break
            best = candidate
        if best:
            return best
    return ""


def _table_chunks(section: Section, config: ChunkingConfig) -> list[str]:
    header = section.header or ""
    header_cost = estimate_tokens(header + "\n")
    if header_cost > config.chunk_size // 2:  # a huge header would crowd out the rows: keep it as a row
        rows_text, header, header_cost = f"{header}\n{section.text}", "", 0
    else:
        rows_text = section.text
    budget = config.chunk_size - header_cost
    chunks: list[str] = []
    current: list[tuple[str, str]] = []
    used = 0
    for row in (line for line in rows_text.split("\n") if line.strip()):
        # an over-long row splits at sentences, then words
        for piece, joiner in _pieces(row, "\n", budget, level=2):
            cost = estimate_tokens(joiner + piece)
            if current and used + cost > budget:
                chunks.append(_join(current))
                current, used = [], 0
            current.append((piece, joiner))
            used += cost
    if current:
        chunks.append(_join(current))
    return [f"{header}\n{chunk}" if header else chunk for chunk in chunks]

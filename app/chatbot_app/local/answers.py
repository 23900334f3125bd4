"""Local mode's answerer (MODEL_PROVIDER=local): no language model, so the answer quotes the sentences of the
retrieved passages that best match the question, each with its [n] citation, under a label that says so.

The sentences are ranked by the local embedding model's cosine similarity to the question. A session without
a workspace, a search without hits, or hits with no sentence close enough to the question get a plain
statement instead of quotes. The answer is produced like bedrock.stream's: text deltas (here word by word,
so the browser's streaming is exercised), then one StreamResult with an estimated token usage.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ..core.bedrock import StreamResult
from ..core.config import LOCAL_MODEL_ID
from ..core.models import ModelInfo, Usage
from ..core.workspaces import Retrieval
from ..rag.chunking import estimate_tokens
from . import embeddings

MODEL = ModelInfo(
    modelId=LOCAL_MODEL_ID,
    name="Local mode: quotes from your documents (no language model)",
    provider="Local",
    streaming=True,
)
LABEL = "Local mode (no language model):"
FOUND = f"{LABEL} the passages that best match your question:"
NO_WORKSPACE = (
    f"{LABEL} this chat is not linked to a workspace, so there are no documents to answer from. "
    "Choose a workspace for the chat, then ask about its documents."
)
NOTHING_FOUND = f"{LABEL} nothing in the workspace's documents matches your question."
STOP_REASON = "end_turn"
MAX_QUOTES = 3
# wordllama cosines: a paraphrase of the question scores about 0.3-0.8, an unrelated sentence below 0.15.
MIN_SCORE = 0.25
RELATIVE_SCORE = 0.75  # of the best sentence's score: weaker matches would only dilute the answer
MAX_QUOTE_CHARS = 400
WORD_DELAY_SECONDS = 0.01  # paces the words so the streaming is visible in the browser

_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_BLOCK_START = re.compile(r"^\s*(?:[#>*+|-]|\d+[.)]\s|```)")  # a heading, list item, quote, table or fence
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MARKERS = "#>*+-|• \t"
_PIECES = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class Quote:
    n: int  # the source's citation number
    text: str
    score: float


def stream(
    question: str, retrieval: Retrieval | None, *, delay: float | None = None
) -> Iterator[str | StreamResult]:
    """Yield the answer's words, then one StreamResult (the same protocol as bedrock.stream)."""
    text = compose(question, retrieval)
    pause = WORD_DELAY_SECONDS if delay is None else delay
    for piece in _PIECES.findall(text):
        yield piece
        if pause > 0:
            time.sleep(pause)
    read = [question, *(_passages(retrieval) if retrieval is not None else ())]
    spent_in, spent_out = sum(estimate_tokens(t) for t in read), estimate_tokens(text)
    usage = Usage(inputTokens=spent_in, outputTokens=spent_out, totalTokens=spent_in + spent_out)
    yield StreamResult(text=text, usage=usage, stop_reason=STOP_REASON)


def compose(question: str, retrieval: Retrieval | None) -> str:
    if retrieval is None:
        return NO_WORKSPACE
    quotes = best_quotes(question, retrieval)
    if not quotes:
        return NOTHING_FOUND
    # Quoted so that no document text starts a Markdown block (heading, list, fence) in the answer.
    return "\n".join([FOUND, "", *(f"- “{quote.text}” [{quote.n}]" for quote in quotes)])


def best_quotes(question: str, retrieval: Retrieval, limit: int = MAX_QUOTES) -> list[Quote]:
    """The passages' sentences closest to the question, best first, each once."""
    candidates: dict[str, int] = {}  # sentence -> the first source that has it (overlapping chunks repeat)
    for source, passage in zip(retrieval.sources, _passages(retrieval), strict=False):
        for sentence in sentences(passage):
            candidates.setdefault(sentence, source.n)
    if not candidates or not question.strip():
        return []
    texts = list(candidates)
    vectors = embeddings.embed([question, *texts])
    scores = vectors[1:] @ vectors[0]
    ranked = sorted(
        (Quote(candidates[t], t, float(s)) for t, s in zip(texts, scores, strict=True)),
        key=lambda q: -q.score,
    )
    cutoff = max(MIN_SCORE, RELATIVE_SCORE * ranked[0].score)
    return [quote for quote in ranked if quote.score >= cutoff][:limit]


def _passages(retrieval: Retrieval) -> tuple[str, ...]:
    # The hits' full texts; a Retrieval built without them still has the sources' snippets.
    return retrieval.passages or tuple(source.snippet for source in retrieval.sources)


def sentences(passage: str) -> Iterator[str]:
    """A passage's sentences, whitespace flattened: lines wrapped inside a paragraph are joined, while
    headings, list items and table rows stay pieces of their own."""
    for paragraph in _PARAGRAPH.split(passage):
        for block in _blocks(paragraph.splitlines()):
            for sentence in _SENTENCE_END.split(block):
                clean = sentence.strip().lstrip(_MARKERS).strip()
                if clean.startswith("```") or sum(ch.isalpha() for ch in clean) < 3:
                    continue  # a code fence, a rule, a number: nothing worth quoting
                yield _shorten(clean)


def _blocks(lines: list[str]) -> Iterator[str]:
    current: list[str] = []
    for line in lines:
        if current and _BLOCK_START.match(line):
            yield " ".join(current)
            current = []
        if line.strip():
            current.append(" ".join(line.split()))
        if line.lstrip().startswith(("#", "|", "```")):  # a heading, table row or fence ends with its line
            yield " ".join(current)
            current = []
    if current:
        yield " ".join(current)


def _shorten(text: str) -> str:
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    cut = text[: MAX_QUOTE_CHARS - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > MAX_QUOTE_CHARS // 2 else cut).rstrip() + "…"

"""Local mode's answerer: quotes the retrieved passages' sentences closest to the question with their [n]
citations, labelled as local mode, streamed word by word like bedrock.stream, with a token usage."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from chatbot_app.core.bedrock import StreamResult
from chatbot_app.core.models import Source
from chatbot_app.core.workspaces import Retrieval, snippet
from chatbot_app.local import answers

PASSAGES = [
    ("beekeeping.md", "# Beekeeping notes\n\nBees need water near the hive.\n\n## Inspections\n\n"
                      "Inspect every nine days in spring.\n\nLeave the honey they need to overwinter."),
    ("security.pdf", "Passwords must be at least twelve characters long.\nRotate them\nonce a year. "
                     "Never share an account."),
    ("canteen.txt", "The cafeteria serves lunch between noon and two. Coffee is free."),
]


def retrieval(passages: list[tuple[str, str]] = PASSAGES) -> Retrieval:
    sources = [
        Source(n=n, documentId=str(uuid.uuid4()), fileName=name, score=0.5, snippet=snippet(text))
        for n, (name, text) in enumerate(passages, start=1)
    ]
    return Retrieval(sources=sources, context="(not used locally)", passages=tuple(t for _, t in passages))


def run(question: str, found: Retrieval | None) -> tuple[list[str], StreamResult]:
    pieces = list(answers.stream(question, found, delay=0))
    *deltas, result = pieces
    assert isinstance(result, StreamResult) and all(isinstance(d, str) for d in deltas)
    return deltas, result


def quotes(text: str) -> list[tuple[str, int]]:
    return [(q, int(n)) for q, n in re.findall(r"^- “(.+)” \[(\d+)\]$", text, flags=re.M)]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How long must a password be?", ("Passwords must be at least twelve characters long.", 2)),
        ("How often should I inspect the hive?", ("Inspect every nine days in spring.", 1)),
        ("When is lunch served?", ("The cafeteria serves lunch between noon and two.", 3)),
    ],
)
def test_the_best_matching_sentence_is_quoted_with_its_citation(
    question: str, expected: tuple[str, int]
) -> None:
    _, result = run(question, retrieval())
    assert result.text.startswith(answers.FOUND + "\n\n")
    found = quotes(result.text)
    assert found[0] == expected
    assert len(found) <= answers.MAX_QUOTES
    # Only sentences of the cited passage's own text, never text of another source under its number.
    texts = dict(enumerate((t for _, t in PASSAGES), start=1))
    assert all(" ".join(texts[n].split()).find(q) >= 0 for q, n in found)


def test_lines_wrapped_inside_a_sentence_are_joined_and_markdown_markers_dropped() -> None:
    assert list(answers.sentences(PASSAGES[1][1])) == [
        "Passwords must be at least twelve characters long.",
        "Rotate them once a year.",
        "Never share an account.",
    ]
    text = "# Title\n\n- item one\n  wrapped\n- item two\n| a | b |\n```\ncode line here\n```\n---\n7."
    assert list(answers.sentences(text)) == ["Title", "item one wrapped", "item two", "code line here"]


def test_the_answer_streams_word_by_word_and_reports_usage() -> None:
    found = retrieval()
    deltas, result = run("How long must a password be?", found)
    assert len(deltas) == len(result.text.split()) > 10
    assert "".join(deltas) == result.text
    assert result.stop_reason == "end_turn"
    usage = result.usage
    assert usage.inputTokens > 20 and usage.outputTokens >= len(result.text.split())
    assert usage.totalTokens == usage.inputTokens + usage.outputTokens


def test_words_are_paced_so_the_streaming_is_visible(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(answers.time, "sleep", pauses.append)
    pieces = list(answers.stream("hello", None))
    assert pauses == [answers.WORD_DELAY_SECONDS] * (len(pieces) - 1) and answers.WORD_DELAY_SECONDS > 0


def test_a_session_without_a_workspace_is_told_so_plainly() -> None:
    deltas, result = run("How long must a password be?", None)
    assert result.text == answers.NO_WORKSPACE and "".join(deltas) == result.text
    assert result.text.startswith("Local mode (no language model):") and "workspace" in result.text
    assert "[" not in result.text and result.usage.totalTokens > 0


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("How long must a password be?", retrieval([])),  # the search found nothing
        ("What is the capital of France?", retrieval()),  # hits, but none is about the question
        ("How long must a password be?", retrieval([("empty.md", "```\n---\n")])),  # nothing quotable
    ],
)
def test_nothing_relevant_is_said_plainly_without_citations(question: str, found: Retrieval) -> None:
    _, result = run(question, found)
    assert result.text == answers.NOTHING_FOUND
    assert result.text.startswith(answers.LABEL) and "[" not in result.text


def test_a_sentence_repeated_by_overlapping_chunks_is_quoted_once_under_its_first_source() -> None:
    passages = [("a.md", "Passwords must be at least twelve characters long."),
                ("a.md", "Passwords must be at least twelve characters long. Use a manager.")]
    found = quotes(run("How long must a password be?", retrieval(passages))[1].text)
    assert found[0] == ("Passwords must be at least twelve characters long.", 1)
    assert [q for q, _ in found].count(found[0][0]) == 1


def test_without_full_passages_the_snippets_are_quoted() -> None:
    found = retrieval()
    bare = Retrieval(sources=found.sources, context=found.context)
    _, result = run("How long must a password be?", bare)
    assert quotes(result.text)[0] == ("Passwords must be at least twelve characters long.", 2)


def test_hostile_document_text_cannot_start_a_markdown_block() -> None:
    passages: list[tuple[str, Any]] = [("evil.html", "Passwords <script>alert(1)</script> must be long.")]
    _, result = run("How long must a password be?", retrieval(passages))
    (line,) = [ln for ln in result.text.splitlines() if "script" in ln]
    assert line.startswith("- “") and line.endswith("” [1]")


def test_the_model_is_labelled_as_local() -> None:
    assert answers.MODEL.modelId == "local.extractive" and answers.MODEL.streaming
    assert "Local" in answers.MODEL.name and "no language model" in answers.MODEL.name

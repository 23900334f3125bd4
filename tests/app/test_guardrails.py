"""core/guardrails.py: ApplyGuardrail on the question (INPUT) and on the answer in chunks (OUTPUT) for model
calls that cannot carry guardrailConfig. Every call goes through botocore's Stubber on bedrock-runtime in
the Bedrock region, which checks each request and response against the API model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from chatbot_app.core import aws, guardrails
from chatbot_app.core.bedrock import StreamResult
from chatbot_app.core.config import Config, get_config
from chatbot_app.core.errors import ServiceUnavailable, UpstreamError
from chatbot_app.core.models import Usage

BEDROCK_REGION = "us-east-1"  # not the functions' region: the guardrail lives where Bedrock is used
GUARDRAIL_ARN = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def4"
BLOCKED_MESSAGE = "Sorry, I cannot answer that."
BLOCKED = [{"contentPolicy": {"filters": [{"type": "VIOLENCE", "confidence": "HIGH", "action": "BLOCKED"}]}}]
MASKED = [{"sensitiveInformationPolicy": {"piiEntities": [
    {"match": "jane@example.com", "type": "EMAIL", "action": "ANONYMIZED"}], "regexes": []}}]
MODEL_USAGE = Usage(inputTokens=10, outputTokens=500, totalTokens=510)


def verdict(action: str = "NONE", output: str | None = None, assessments: Any = None) -> dict[str, Any]:
    units = ("topicPolicyUnits", "contentPolicyUnits", "wordPolicyUnits", "sensitiveInformationPolicyUnits",
             "sensitiveInformationPolicyFreeUnits", "contextualGroundingPolicyUnits")
    return {"usage": dict.fromkeys(units, 1), "action": action,
            "outputs": [{"text": output}] if output is not None else [], "assessments": assessments or [{}]}


class GuardrailStub:
    """Stubbed ApplyGuardrail; records the (source, text) of every call in order."""

    def __init__(self, region: str = BEDROCK_REGION) -> None:
        self.client = aws.client("bedrock-runtime", region)
        self.stubber = Stubber(self.client)
        self.checked: list[tuple[str, str]] = []
        self.client.meta.events.register(
            "before-parameter-build.bedrock-runtime.ApplyGuardrail", self._record)
        self.stubber.activate()

    def add(self, source: str, response: dict[str, Any] | None = None, text: Any = ANY) -> None:
        expected = {"guardrailIdentifier": GUARDRAIL_ARN, "guardrailVersion": "3", "source": source,
                    "content": [{"text": {"text": text}}] if text is not ANY else ANY}
        self.stubber.add_response("apply_guardrail", response or verdict(), expected)

    def add_error(self, code: str) -> None:
        self.stubber.add_client_error("apply_guardrail", service_error_code=code, http_status_code=400)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.checked.append((params["source"], params["content"][0]["text"]["text"]))


@pytest.fixture
def guarded(app_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[GuardrailStub]:
    for name, value in {"GUARDRAIL_ID": GUARDRAIL_ARN, "GUARDRAIL_VERSION": "3",
                        "BEDROCK_REGION": BEDROCK_REGION}.items():
        monkeypatch.setenv(name, value)
    get_config.cache_clear()
    stub = GuardrailStub()
    yield stub
    stub.stubber.assert_no_pending_responses()


class Model:
    """A model's answer as deltas; records how many were read when each checked piece came out, and
    whether the stream was closed."""

    def __init__(self, deltas: list[str], stop_reason: str = "end_turn") -> None:
        self.deltas, self.stop_reason = deltas, stop_reason
        self.read = 0
        self.closed = False

    def pieces(self) -> Iterator[str | StreamResult]:
        try:
            for delta in self.deltas:
                self.read += 1
                yield delta
            yield StreamResult("".join(self.deltas), MODEL_USAGE, self.stop_reason)
        finally:
            self.closed = True


def run(config: Config, model: Model) -> tuple[list[tuple[int, str]], StreamResult]:
    shown: list[tuple[int, str]] = []
    result = None
    for piece in guardrails.guard_answer(config, model.pieces(), lambda text: Usage(outputTokens=len(text))):
        if isinstance(piece, StreamResult):
            result = piece
        else:
            shown.append((model.read, piece))
    assert result is not None
    return shown, result


def words(count: int) -> list[str]:
    return [f"word{i:04d} " for i in range(count)]  # 9 characters each


def test_without_a_guardrail_nothing_is_checked(app_env: None) -> None:
    config = get_config()
    assert guardrails.check(config, "anything", "INPUT") == guardrails.Verdict("anything")
    model = Model(["a", "b"])
    shown, result = run(config, model)
    assert [text for _, text in shown] == ["a", "b"] and result.stop_reason == "end_turn"


def test_a_passed_question_is_unchanged(guarded: GuardrailStub) -> None:
    guarded.add("INPUT", verdict(), text="What is RAG?")
    assert guardrails.check(get_config(), "What is RAG?", "INPUT") == guardrails.Verdict("What is RAG?")
    assert guardrails.check(get_config(), "  \n", "INPUT").text == "  \n"  # blank: no call


def test_an_intervention_replaces_the_text(guarded: GuardrailStub) -> None:
    guarded.add("INPUT", verdict("GUARDRAIL_INTERVENED", BLOCKED_MESSAGE, BLOCKED))
    guarded.add("INPUT", verdict("GUARDRAIL_INTERVENED", "Mail {EMAIL} please", MASKED))
    blocked = guardrails.check(get_config(), "how do I hurt someone", "INPUT")
    assert blocked == guardrails.Verdict(BLOCKED_MESSAGE, intervened=True, blocked=True)
    masked = guardrails.check(get_config(), "Mail jane@example.com please", "INPUT")
    assert masked == guardrails.Verdict("Mail {EMAIL} please", intervened=True, blocked=False)


def test_the_answer_is_checked_in_chunks_before_it_is_shown(guarded: GuardrailStub) -> None:
    deltas = words(250)  # 2,250 characters
    for _ in range(3):
        guarded.add("OUTPUT")
    shown, result = run(get_config(), Model(deltas))
    chunks = [text for source, text in guarded.checked]
    assert all(source == "OUTPUT" for source, _ in guarded.checked)
    assert [text for _, text in shown] == chunks and "".join(chunks) == "".join(deltas)
    assert all(len(c) <= guardrails.CHUNK_CHARS and c.endswith(" ") for c in chunks)  # no word is split
    # Nothing came out before a thousand characters were read and checked.
    assert shown[0][0] * 9 >= guardrails.CHUNK_CHARS
    assert (result.text, result.usage, result.stop_reason) == ("".join(deltas), MODEL_USAGE, "end_turn")


def test_a_blocked_chunk_is_never_shown_and_ends_the_answer(guarded: GuardrailStub) -> None:
    model = Model(words(400))
    guarded.add("OUTPUT")
    guarded.add("OUTPUT", verdict("GUARDRAIL_INTERVENED", BLOCKED_MESSAGE, BLOCKED))
    shown, result = run(get_config(), model)
    first = guarded.checked[0][1]
    assert [text for _, text in shown] == [first, BLOCKED_MESSAGE]
    assert guarded.checked[1][1] not in result.text
    assert result.text == first + BLOCKED_MESSAGE and result.stop_reason == guardrails.STOP_REASON
    assert model.closed and model.read < 400  # the endpoint's stream is not read further
    assert result.usage.outputTokens == model.read * 9  # estimated from what the model produced


def test_masked_text_is_shown_masked_and_the_answer_goes_on(guarded: GuardrailStub) -> None:
    guarded.add("OUTPUT", verdict("GUARDRAIL_INTERVENED", "Write to {EMAIL}.", MASKED))
    shown, result = run(get_config(), Model(["Write to ", "jane@example.com."]))
    assert [text for _, text in shown] == ["Write to {EMAIL}."]
    assert result.text == "Write to {EMAIL}." and result.stop_reason == guardrails.STOP_REASON
    assert result.usage == MODEL_USAGE


def test_a_long_word_without_whitespace_is_cut_at_the_chunk_size(guarded: GuardrailStub) -> None:
    guarded.add("OUTPUT")
    guarded.add("OUTPUT")
    shown, _ = run(get_config(), Model(["x" * 1500]))
    assert [len(text) for _, text in shown] == [1000, 500]


@pytest.mark.parametrize(("code", "error"), [("ThrottlingException", ServiceUnavailable),
                                             ("ResourceNotFoundException", UpstreamError)])
def test_a_failed_check_shows_nothing(guarded: GuardrailStub, code: str, error: type) -> None:
    guarded.add_error(code)
    model = Model(["secret answer"])
    pieces = guardrails.guard_answer(get_config(), model.pieces(), lambda text: Usage())
    with pytest.raises(error):
        next(pieces)
    assert model.closed

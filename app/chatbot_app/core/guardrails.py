"""The Bedrock guardrail for model calls that cannot carry it (SEC-BEDROCK-GUARDRAILS): self-hosted SageMaker
endpoints. Converse and ConverseStream carry guardrailConfig themselves (core/bedrock.py); here the same
guardrail is applied with ApplyGuardrail, to the user's question (source INPUT) before the endpoint is
called and to the answer (source OUTPUT) before any of it is pushed.

A streamed answer is held back and checked in chunks of about CHUNK_CHARS (one guardrail text unit), cut
at whitespace so that no word is split between two checks, and once more at the end, so text reaches the
user only after the guardrail passed it. When the guardrail intervenes its output replaces the checked text:
the blocked-output message, or the text with sensitive information masked. A block ends the answer there.
Fails closed: when the check itself fails, no text is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from . import aws
from .bedrock import StreamResult
from .config import Config
from .errors import ApiError, ServiceUnavailable, UpstreamError
from .models import Usage

Source = Literal["INPUT", "OUTPUT"]
CHUNK_CHARS = 1000  # a guardrail text unit: checks are billed per started unit
INTERVENED = "GUARDRAIL_INTERVENED"
STOP_REASON = "guardrail_intervened"  # what Converse reports when its guardrail intervenes
_BUSY = frozenset({"ThrottlingException", "ServiceQuotaExceededException", "ServiceUnavailableException"})


@dataclass(frozen=True)
class Verdict:
    text: str  # the text as checked, or the guardrail's replacement when it intervened
    intervened: bool = False
    blocked: bool = False  # some policy blocked it (not only masked it)


def check(config: Config, text: str, source: Source) -> Verdict:
    """One ApplyGuardrail call; the text unchanged when no guardrail is configured or the text is blank."""
    if not config.guardrail_enabled or not text.strip():
        return Verdict(text)
    from botocore.exceptions import BotoCoreError, ClientError

    runtime = aws.client("bedrock-runtime", config.bedrock_region)
    try:
        response = runtime.apply_guardrail(
            guardrailIdentifier=config.guardrail_id,
            guardrailVersion=config.guardrail_version,
            source=source,
            content=[{"text": {"text": text}}],
        )
    except ClientError as exc:
        raise _error(exc) from exc
    except BotoCoreError as exc:
        raise UpstreamError("the guardrail check failed", code="guardrail_error") from exc
    if response.get("action") != INTERVENED:
        return Verdict(text)
    replacement = "".join(output.get("text", "") for output in response.get("outputs", []))
    return Verdict(replacement, intervened=True, blocked=_blocked(response.get("assessments", [])))


def _blocked(value: Any) -> bool:
    """Whether any policy assessment (topics, content filters, words, PII, regexes, grounding...) blocked."""
    if isinstance(value, dict):
        return value.get("action") == "BLOCKED" or any(_blocked(v) for v in value.values())
    if isinstance(value, list):
        return any(_blocked(v) for v in value)
    return False


def _error(exc: Exception) -> ApiError:
    code = aws.error_code(exc)
    if code in _BUSY:
        return ServiceUnavailable("the guardrail is busy; try again in a moment")
    return UpstreamError(f"the guardrail check failed ({code or 'error'})", code="guardrail_error")


def guard_answer(
    config: Config, pieces: Iterator[str | StreamResult], usage_of: Callable[[str], Usage]
) -> Iterator[str | StreamResult]:
    """The model's deltas and StreamResult, passed through the OUTPUT check: checked text pieces, then one
    StreamResult whose text is what was shown. `usage_of(model_text)` estimates the usage of an answer cut
    short by a block (its stream is not read to the end, so the model never reported it)."""
    if not config.guardrail_enabled:
        yield from pieces
        return
    shown: list[str] = []
    pending = produced = ""
    intervened = False
    try:
        for piece in pieces:
            final = piece if isinstance(piece, StreamResult) else None
            if final is None:
                pending += piece
                produced += piece
            while pending and (final is not None or len(pending) >= CHUNK_CHARS):
                head, pending = (pending, "") if final is not None else _cut(pending)
                verdict = check(config, head, "OUTPUT")
                intervened |= verdict.intervened
                if verdict.text:
                    shown.append(verdict.text)
                    yield verdict.text
                if verdict.blocked:
                    usage = final.usage if final is not None else usage_of(produced)
                    yield StreamResult("".join(shown), usage, STOP_REASON)
                    return
            if final is not None:
                stop_reason = STOP_REASON if intervened else final.stop_reason
                yield StreamResult("".join(shown), final.usage, stop_reason)
                return
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()  # after a block: stop reading the endpoint's stream


def _cut(text: str) -> tuple[str, str]:
    """The next chunk to check (at most CHUNK_CHARS, after its last whitespace if that is not too early)
    and the rest."""
    window = text[:CHUNK_CHARS]
    at = max(window.rfind(" "), window.rfind("\n"), window.rfind("\t"))
    end = at + 1 if at >= CHUNK_CHARS // 2 else CHUNK_CHARS
    return text[:end], text[end:]

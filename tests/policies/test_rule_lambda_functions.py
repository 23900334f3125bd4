"""The dated runtime table: a runtime turns deprecated on its AWS deprecation date, not before."""

from __future__ import annotations

from datetime import date

from chatbot_guard.rules.lambda_functions import DEPRECATION_DATES, deprecated_since, supported_runtimes


def test_a_runtime_flips_on_its_date() -> None:
    assert deprecated_since("python3.12", date(2028, 10, 30)) is None
    assert deprecated_since("python3.12", date(2028, 10, 31)) == date(2028, 10, 31)


def test_state_as_of_november_2026() -> None:
    day = date(2026, 11, 30)
    for runtime in ("python3.8", "python3.9", "python3.11", "nodejs20.x", "java8", "go1.x", "provided",
                    "dotnet6", "dotnet8", "ruby3.2", "provided.al2"):
        assert deprecated_since(runtime, day) is not None, runtime
    assert supported_runtimes(day) == sorted(
        ["nodejs24.x", "nodejs22.x", "python3.14", "python3.13", "python3.12", "java25", "java21",
         "dotnet10", "ruby3.4", "ruby3.3", "provided.al2023"]
    )


def test_unlisted_identifiers_are_not_called_deprecated() -> None:
    assert "python3.15" not in DEPRECATION_DATES
    assert deprecated_since("python3.15", date(2030, 1, 1)) is None

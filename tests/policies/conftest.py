"""Put the pack on sys.path the way the CLI does (cwd = policies/) and isolate each test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"
if str(PACK_DIR) not in sys.path:
    sys.path.insert(0, str(PACK_DIR))

from chatbot_guard.settings import PackSettings, install_settings  # noqa: E402

from .harness import PROJECT, PackHarness  # noqa: E402

PackFactory = Callable[..., PackHarness]


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    install_settings(PackSettings())
    yield
    install_settings(PackSettings())


@pytest.fixture
def pack(monkeypatch: pytest.MonkeyPatch) -> PackFactory:
    """``pack(stack="prod", config=None, dry_run=True, policies=None)`` -> a configured harness."""

    def make(stack: str = "prod", config: dict[str, Any] | None = None, dry_run: bool = True,
             **kwargs: Any) -> PackHarness:
        monkeypatch.setenv("PULUMI_STACK", stack)
        monkeypatch.setenv("PULUMI_PROJECT", PROJECT)
        monkeypatch.setenv("PULUMI_DRY_RUN", "true" if dry_run else "false")
        monkeypatch.setenv("PULUMI_ORGANIZATION", "organization")
        monkeypatch.delenv("PULUMI_CONFIG", raising=False)
        return PackHarness(stack, config=config, dry_run=dry_run, **kwargs)

    return make

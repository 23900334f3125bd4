"""Rules of the operations settings: development tooling stays in development stacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.settings.rules.base import Rule, outside_dev

if TYPE_CHECKING:
    from components.settings.model import StackSettings


def _dev_tools_only_in_dev(s: StackSettings) -> str | None:
    if s.is_dev or not s.dev_tools:
        return None
    return outside_dev(s, "devTools", "true", "SEC-DEV-TOOLS-DEV-ONLY",
                       "SageMaker Studio's role has broad SageMaker access (AmazonSageMakerFullAccess)")


RULES = (Rule(("dev_tools", "environment"), _dev_tools_only_in_dev),)

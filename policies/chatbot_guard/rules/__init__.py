"""One module per AWS service area; each exposes ``POLICIES``. Modules are found, not listed, so adding
a service area cannot forget to register it."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def rule_modules() -> list[ModuleType]:
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)
               if not info.name.startswith("_")]
    return sorted((m for m in modules if hasattr(m, "POLICIES")), key=lambda m: m.__name__)

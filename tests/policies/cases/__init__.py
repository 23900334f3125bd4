"""Good and bad fixtures for every rule, in the checkov / cdk-nag habit.

One module here per rule module in ``policies/chatbot_guard/rules/`` (same name), each exporting
``CASES``: a compliant baseline per rule and one mutation per failure mode. ``test_catalogue.py`` runs
every case through the real analyzer entry points and checks that every catalogue ID has a rule and a
case that makes it fail.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..harness import Resource, urn_for

Expect = Literal["pass", "violation", "not-evaluated", "suppressed"]


@dataclass(frozen=True)
class Case:
    rule: str
    title: str
    resources: tuple[Resource, ...]
    expect: Expect
    stack: str = "prod"
    config: Mapping[str, Any] | None = None
    level: str | None = None  # the violation's level, when the case is about it
    message: str | None = None  # a substring of the violation's message
    dry_run: bool = True

    @property
    def id(self) -> str:
        return f"{self.rule}: {self.title}"


@dataclass(frozen=True)
class Baseline:
    """A compliant set of resources from which failing cases are derived by one mutation each."""

    resources: tuple[Resource, ...]
    stack: str = "prod"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def case(self, rule: str, title: str = "compliant baseline", **kwargs: Any) -> Case:
        return Case(rule, title, self.resources, kwargs.pop("expect", "pass"), stack=self.stack, **kwargs)

    def mutate(self, rule: str, title: str, name: str, path: str, value: Any, **kwargs: Any) -> Case:
        """The baseline with one property of resource ``name`` set (``value=DELETE`` removes it)."""
        resources = tuple(_set(r, path, value) if r.name == name else r for r in self.resources)
        if resources == self.resources:
            raise ValueError(f"{rule}: no resource named {name!r} in the baseline")
        return Case(rule, title, resources, kwargs.pop("expect", "violation"), stack=self.stack, **kwargs)

    def without(self, rule: str, title: str, name: str, **kwargs: Any) -> Case:
        resources = tuple(r for r in self.resources if r.name != name)
        return Case(rule, title, resources, kwargs.pop("expect", "violation"), stack=self.stack, **kwargs)

    def plus(self, rule: str, title: str, *extra: Resource, **kwargs: Any) -> Case:
        return Case(
            rule, title, self.resources + extra, kwargs.pop("expect", "violation"), stack=self.stack, **kwargs
        )


DELETE = object()


def _set(resource: Resource, path: str, value: Any) -> Resource:
    props = copy.deepcopy(resource.props)
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = props
    for key in keys[:-1]:
        target = target[key]
    if value is DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return replace(resource, props=props)


def ref(type_: str, name: str, stack: str = "prod") -> str:
    """The URN of a case resource, for parent / dependencies / propertyDependencies."""
    return urn_for(type_, name, stack)


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        cases.extend(getattr(module, "CASES", ()))
    return cases


__all__: Sequence[str] = ("DELETE", "Baseline", "Case", "Resource", "all_cases", "ref")

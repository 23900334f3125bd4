"""Which resource of a stack another one refers to (for stack policies).

One semantic for every rule: a property dependency decides it (it survives values unknown at preview);
otherwise equal known ids / names / ARNs do; an unknown value without a deciding dependency could name
anything, so it is undecided (``None``) and the rule defers to `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .props import Known, Lookup, Unknown, known, lookup

DEFAULT_ATTRS = ("id", "arn")


def walk(props: Any, path: str) -> Iterator[tuple[str, Lookup]]:
    """(concrete path, Lookup) for each value ``path`` names; ``a[].b`` and ``a[]`` visit every element.

    An unknown list stays one (unknown) value; a missing list names nothing.
    """
    head, sep, rest = path.partition("[]")
    if not sep:
        yield path, lookup(props, path)
        return
    container = lookup(props, head)
    if isinstance(container, Known):
        for index in range(len(container.value)):
            yield from walk(props, f"{head}[{index}]{rest}")
    elif isinstance(container, Unknown):
        yield head, container


def values_at(props: Any, path: str) -> list[Lookup]:
    """Every value ``path`` names (see ``walk``)."""
    return [value for _, value in walk(props, path)]


def dependency_urns(resource: PolicyResource, prop: str) -> set[str]:
    return {dep.urn for dep in resource.property_dependencies.get(prop) or []}


def dependencies_of_type(resource: PolicyResource, prop: str, types: Collection[str]) -> list[PolicyResource]:
    """The resources of the given ``types`` that ``resource.<prop>`` was computed from."""
    return [dep for dep in resource.property_dependencies.get(prop) or [] if dep.resource_type in types]


def depends_on(source: PolicyResource, prop: str, target: PolicyResource) -> bool:
    """``source.<prop>`` was computed from ``target`` (a property dependency)."""
    return target.urn in dependency_urns(source, prop)


def identifiers(target: PolicyResource, attrs: Iterable[str] = DEFAULT_ATTRS) -> set[str]:
    """The known, non-empty values of ``target``'s identifying attributes."""
    return {str(v) for v in (known(target.props, a) for a in attrs) if v}


def refers_to(
    source: PolicyResource,
    prop: str,
    target: PolicyResource,
    attrs: Iterable[str] = DEFAULT_ATTRS,
    values: Sequence[Lookup] | None = None,
    deciding_types: Collection[str] | None = None,
) -> bool | None:
    """Does ``source.<prop>`` name ``target``? ``None``: not knowable yet.

    ``attrs``: the target's attributes a reference may equal (id, arn, name, bucket, ...).
    ``values``: the referring values (default ``values_at(source.props, prop)``); pass them for nested or
    encoded references such as ``auths[].secretArn`` or a bucket's ``logging.targetBucket``.
    ``deciding_types``: which dependencies rule the target out when the value is unknown (default: any).
    S3 passes the bucket tokens: a bucket name computed from, say, a random suffix may still be ours.
    """
    deps = source.property_dependencies.get(prop) or []
    if any(dep.urn == target.urn for dep in deps):
        return True
    ids = identifiers(target, attrs)
    values = values_at(source.props, prop) if values is None else values
    if any(isinstance(v, Known) and str(v.value) in ids for v in values):
        return True
    if any(deciding_types is None or dep.resource_type in deciding_types for dep in deps):
        return False
    return None if any(isinstance(v, Unknown) for v in values) else False


def targets_of(
    source: PolicyResource,
    prop: str,
    targets: Sequence[PolicyResource],
    attrs: Iterable[str] = DEFAULT_ATTRS,
) -> list[PolicyResource] | None:
    """The ``targets`` that ``source.<prop>`` names; ``None`` while that cannot be told.

    A dependency on some targets names exactly those (a known value does not add others).
    """
    attrs = tuple(attrs)
    by_dependency = [t for t in targets if depends_on(source, prop, t)]
    if by_dependency:
        return by_dependency
    verdicts = [(t, refers_to(source, prop, t, attrs)) for t in targets]
    if any(v is None for _, v in verdicts):
        return None
    return [t for t, v in verdicts if v]


@dataclass
class Links:
    """The resources that refer to one target, and those that might once their values are known."""

    matches: list[PolicyResource] = field(default_factory=list)
    undecided: list[PolicyResource] = field(default_factory=list)

    def defer(self, path: str) -> None:
        """Nothing matched for sure, but an undecided resource might: decide during `pulumi up`."""
        if self.undecided:
            raise UnknownValueError(UNKNOWN_STRING_VALUE, [self.undecided[0].name, path])


def linked(
    resources: Iterable[PolicyResource],
    types: Iterable[str],
    target: PolicyResource,
    prop: str,
    attrs: Iterable[str] = DEFAULT_ATTRS,
    deciding_types: Collection[str] | None = None,
) -> Links:
    """Which ``resources`` of the given ``types`` name ``target`` through ``prop`` (see ``refers_to``)."""
    wanted = frozenset(types)
    attrs = tuple(attrs)
    links = Links()
    for resource in resources:
        if resource.resource_type not in wanted:
            continue
        verdict = refers_to(resource, prop, target, attrs, deciding_types=deciding_types)
        if verdict:
            links.matches.append(resource)
        elif verdict is None:
            links.undecided.append(resource)
    return links

"""How suppressions travel in analyzer responses, so reports can list them with their reasons.

A resource policy marks itself not applicable with ``suppressed: <reason>`` (the URN is the analyzed
resource's). A stack policy can do that only once per run, so it sends one record per line:
``suppressed:`` then ``<urn>\\t<reason>`` lines. Reasons are normalised to one line with no tabs.
"""

from __future__ import annotations

PREFIX = "suppressed:"


def format_resource_suppression(reason: str) -> str:
    return f"{PREFIX} {reason}"


def format_stack_suppressions(records: list[tuple[str, str]]) -> str:
    return "\n".join([PREFIX, *(f"{urn}\t{reason}" for urn, reason in records)])


def parse_suppressions(reason: str, urn: str | None = None) -> list[tuple[str | None, str]]:
    """Inverse of the two formats: ``[(urn, reason)]``; ``[]`` when ``reason`` is not a suppression.

    ``urn`` is the analyzed resource's URN for resource policies (stack records carry their own).
    """
    if not reason.startswith(PREFIX):
        return []
    head, _, rest = reason.partition("\n")
    if head != PREFIX:
        return [(urn, reason[len(PREFIX) :].strip())]
    records: list[tuple[str | None, str]] = []
    for line in rest.splitlines():
        record_urn, _, record_reason = line.partition("\t")
        records.append((record_urn, record_reason))
    return records

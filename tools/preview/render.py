"""Prints the offline preview's report for a person (rich)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

_LEVEL_STYLE = {"mandatory": "bold red", "remediate": "bold red", "advisory": "yellow", "disabled": "dim"}


def _label(resource: dict[str, Any]) -> str:
    flags = [
        flag
        for flag, on in (("protect", resource["protect"]), ("retainOnDelete", resource["retainOnDelete"]))
        if on
    ]
    suffix = f" [dim]({', '.join(flags)})[/dim]" if flags else ""
    return f"{resource['name']} [cyan]{resource['type']}[/cyan]{suffix}"


def _tree(report: dict[str, Any]) -> Tree | None:
    by_parent: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for resource in report["resources"]:
        by_parent[resource["parent"]].append(resource)
    roots = by_parent.get(None, [])
    if not roots:
        return None
    tree = Tree(_label(roots[0]))

    def add(node: Tree, urn: str) -> None:
        for child in by_parent.get(urn, []):
            add(node.add(_label(child)), child["urn"])

    add(tree, roots[0]["urn"])
    return tree


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def _cost(cost: dict[str, Any], console: Console) -> None:
    """Idle cost per resource and in total, then what it leaves out (usage) and why a price is missing."""
    region = cost["region"] or "unknown region"
    table = Table(title=f"Idle cost per month ({region}, {cost['hoursPerMonth']} h/month, "
                        f"{cost['currency']} list prices of {cost['priceFile']['date']})", show_edge=False)
    for column, justify in (("resource", "left"), ("type", "left"), ("monthly", "right"), ("how", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    # Unpriced first (they need attention), then the most expensive.
    def order(item: dict[str, Any]) -> tuple[bool, float, str]:
        return item["monthly"] is not None, -(item["monthly"] or 0.0), item["name"]

    for item in sorted(cost["items"], key=order):
        monthly = "no price" if item["monthly"] is None else f"${item['monthly']:,.2f}"
        table.add_row(item["name"], item["type"].rsplit(":", 1)[-1], monthly, item["detail"])
    if cost["items"]:
        console.print(table)
    suffix = "" if cost["complete"] else " (incomplete: see the notes)"
    console.print(f"[bold]Idle cost: ${cost['monthlyTotal']:,.2f} per month[/bold]{suffix}")
    for note in cost["notes"]:
        console.print(f"    [yellow]{note}[/yellow]", highlight=False)
    item_notes = sorted({note for item in cost["items"] for note in item["notes"]})
    for note in item_notes:
        console.print(f"    [dim]{note}[/dim]", highlight=False)
    console.print("[dim]Not in the idle cost (usage-driven):[/dim]")
    for note in cost["usage"]:
        console.print(f"    [dim]{note}[/dim]", highlight=False)


def render(report: dict[str, Any], console: Console, show_tree: bool = True) -> None:
    summary = report["summary"]
    console.rule(
        f"[bold]Offline preview[/bold] {report['project']}/{report['stack']} (mode: {report['mode']})"
    )
    console.print(
        "[dim]The real program and policy packs on the Pulumi SDK's mock engine. Nothing was deployed.[/dim]"
    )
    if show_tree:
        tree = _tree(report)
        if tree is not None:
            console.print(tree)
    counts = Table(title=f"{summary['resources']} resources by type", show_edge=False)
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for resource_type, count in summary["resourcesByType"].items():
        counts.add_row(resource_type, str(count))
    console.print(counts)

    by_policy: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for violation in report["violations"]:
        by_policy[violation["policy"]].append(violation)
    for policy, items in sorted(
        by_policy.items(), key=lambda kv: (kv[1][0]["enforcementLevel"] != "mandatory", kv[0])
    ):
        level = items[0]["enforcementLevel"]
        ids = ", ".join(items[0]["catalogueIds"]) or "no catalogue id"
        console.print(
            f"[{_LEVEL_STYLE.get(level, '')}]{level.upper()}[/] [bold]{policy}[/bold] ({ids}) "
            f"- {len(items)} violation(s)"
        )
        for item in items:
            message = item["message"].split("\n", 1)[-1] if "\n" in item["message"] else item["message"]
            console.print(f"    {_short(item['urn'])}: {message}", markup=False, highlight=False)

    if report["notEvaluated"]:
        console.print(
            f"[yellow]Not evaluated at preview ({len(report['notEvaluated'])}); these run during "
            f"`pulumi up`, when the values are known:[/yellow]"
        )
        for item in report["notEvaluated"]:
            console.print(
                f"    {item['policy']} on {_short(item['urn'])}: {item['reason']}",
                markup=False,
                highlight=False,
            )
    if report["suppressed"]:
        console.print(f"[blue]Suppressed ({len(report['suppressed'])}):[/blue]")
        for item in report["suppressed"]:
            console.print(
                f"    {item['policy']} on {_short(item['urn'])}: {item['reason']}",
                markup=False,
                highlight=False,
            )
    if report["remediations"]:
        console.print(f"[green]Remediated by the pack ({len(report['remediations'])}):[/green]")
        for item in report["remediations"]:
            console.print(f"    {item['policy']} on {_short(item['urn'])}", markup=False, highlight=False)

    if "cost" in report:
        _cost(report["cost"], console)

    verdict = (
        "[bold red]FAILED[/bold red]: mandatory violations"
        if summary["mandatory"]
        else "[bold green]PASSED[/bold green]: no mandatory violation"
    )
    console.print(
        f"{verdict} - {summary['policies']} policies, {summary['mandatory']} mandatory, "
        f"{summary['advisory']} advisory, {summary['notEvaluated']} not evaluated, "
        f"{summary['suppressed']} suppressed"
    )

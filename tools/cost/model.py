"""The idle-cost model: the monthly bill of every resource that charges while nobody uses the stack.

`estimate(resources, region)` takes the offline preview's resources (report form: `type`, `name`, `urn`,
`provider`, readable `inputs`, `propertyDependencies`) and the stack's region, and returns the report's
`cost` section. A resource's region is its explicit provider's `region`, else the stack's. Nothing is a
silent zero: a resource the price file cannot price (its region or type is not covered) gets `monthly:
null` and a note, and the total says it is incomplete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .prices import Price, PriceBook, load

UNKNOWN = "<unknown until deploy>"


@dataclass
class Line:
    """One resource's idle cost; `monthly` None means it bills while idle but cannot be priced here."""

    resource: dict[str, Any]
    region: str
    monthly: float | None
    detail: str
    notes: list[str] = field(default_factory=list)
    usage_driven: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "urn": self.resource["urn"],
            "name": self.resource["name"],
            "type": self.resource["type"],
            "region": self.region,
            "monthly": None if self.monthly is None else round(self.monthly, 2),
            "detail": self.detail,
            "notes": self.notes,
            "usageDriven": self.usage_driven,
        }


@dataclass
class Context:
    book: PriceBook
    stack_region: str
    by_urn: dict[str, dict[str, Any]]
    resources: list[dict[str, Any]]
    seen: dict[str, str] = field(default_factory=dict)  # shared-capacity groups already billed

    def region_of(self, resource: dict[str, Any]) -> str:
        provider_ref = resource.get("provider") or ""
        provider = self.by_urn.get(provider_ref.rsplit("::", 1)[0]) if "::" in provider_ref else None
        region = (provider or {}).get("inputs", {}).get("region")
        return region if isinstance(region, str) and region and region != UNKNOWN else self.stack_region

    def dependencies(self, resource: dict[str, Any], prop: str) -> list[dict[str, Any]]:
        urns = (resource.get("propertyDependencies") or {}).get(prop) or []
        return [self.by_urn[urn] for urn in urns if urn in self.by_urn]

    def lookup(self, key: str, region: str, variant: str | None = None) -> tuple[Price | None, str | None]:
        """The price, or None and the note that says why there is none."""
        if not region:
            return None, "the stack's region is unknown, so no regional price applies"
        if region not in self.book.regions:
            return None, (f"region {region} is not covered by the price file "
                          f"(it covers {', '.join(self.book.regions)})")
        price = self.book.price(key, region, variant)
        if price is None:
            what = f"{key} ({variant})" if variant else key
            return None, f"the price file has no {region} price for {what}"
        return price, None


def money(amount: float) -> str:
    """Dollars with cents, or every significant digit of a unit price such as $0.0225."""
    return f"${amount:,.2f}" if round(amount, 2) == amount else f"${amount:g}"


def priced(ctx: Context, resource: dict[str, Any], key: str, quantity: float, what: str,
           hourly: bool, variant: str | None = None, notes: list[str] | None = None) -> Line:
    """A line for `quantity` units of price `key` (per hour when `hourly`, else per month)."""
    region = ctx.region_of(resource)
    notes = list(notes or [])
    price, problem = ctx.lookup(key, region, variant)
    if price is None:
        return Line(resource, region, None, f"{what}: not priced", [*notes, problem or ""])
    if not price.confirmed:
        notes.append(f"unit price {money(price.amount)} not confirmed by the price lookup ({price.source})")
    if hourly:
        hours = ctx.book.hours_per_month
        return Line(resource, region, quantity * price.amount * hours,
                    f"{what} x {hours} h x {money(price.amount)}/h", notes)
    return Line(resource, region, quantity * price.amount, f"{what} x {money(price.amount)}/month", notes)


def unpriced(ctx: Context, resource: dict[str, Any], why: str) -> Line:
    return Line(resource, ctx.region_of(resource), None, "bills while idle: not priced", [why])


Rule = Callable[[Context, dict[str, Any]], "Line | None"]


def usage_notes(lines: list[Line]) -> list[str]:
    notes = [
        "Tokens: Bedrock model input and output tokens and guardrail text units are billed per message.",
        "Requests: API Gateway (REST requests, WebSocket messages and connection minutes), Lambda "
        "(requests and GB-seconds), WAF (per million requests), CloudFront (requests, data out), DynamoDB "
        "on demand (request units), KMS API calls, NAT gateway and endpoint data processing (per GB).",
        "Storage: DynamoDB tables and backups, S3 buckets, CloudWatch Logs ingestion and retention, "
        "SageMaker Studio home directories, database storage and I/O.",
    ]
    notes.extend(line.detail for line in lines if line.usage_driven)
    return notes


def estimate(resources: list[dict[str, Any]], region: str | None,
             book: PriceBook | None = None) -> dict[str, Any]:
    from .rules import RULES  # the per-type rules import this module's helpers

    book = book or load()
    ctx = Context(book, region or "", {r["urn"]: r for r in resources}, resources)
    lines = [line for r in resources if (rule := RULES.get(r["type"])) and (line := rule(ctx, r))]
    idle = [line for line in lines if not line.usage_driven]
    unknown = [line for line in idle if line.monthly is None]
    notes: list[str] = []
    if not region:
        notes.append("The stack's region is unknown: regional prices cannot apply.")
    elif region not in book.regions:
        notes.append(f"Region {region} is not covered by the price file ({', '.join(book.regions)}): "
                      "its resources are listed without a price, not counted as $0.")
    if unknown:
        notes.append(f"The total leaves out {len(unknown)} resource(s) that bill while idle but have no "
                     f"price here: {', '.join(line.resource['name'] for line in unknown)}.")
    return {
        "region": region or None,
        "currency": book.currency,
        "hoursPerMonth": book.hours_per_month,
        "priceFile": {"path": "tools/cost/prices.yaml", "date": book.date, "regions": list(book.regions)},
        "items": [line.as_dict() for line in idle],
        "monthlyTotal": round(sum(line.monthly or 0.0 for line in idle), 2),
        "complete": not unknown and bool(region),
        "notes": notes,
        "usage": usage_notes(lines),
    }

"""Typed metadata filters compiled to SQL with bind parameters only.

A filter never puts a caller's key or value into the SQL text: keys are validated against a strict pattern
(defence in depth) and, like values, passed as parameters. Values are compared as jsonb, so 1 and "1" are
different and a string bound never matches a number. Filters are ANDed.

    Equals(key="lang", value="en")             metadata @> {"lang": "en"}    (GIN index)
    In(key="year", values=[2023, 2024])        metadata -> 'year' = ANY(...)
    Range(key="page", gte=3, lt=10)            same jsonb type as the bounds, then compared
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from psycopg import sql
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

Key = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Scalar = StrictStr | StrictBool | StrictInt | StrictFloat
Bound = StrictStr | StrictInt | StrictFloat
MAX_IN_VALUES = 100
MAX_FILTERS = 16


class _Filter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Equals(_Filter):
    op: Literal["eq"] = "eq"
    key: Key
    value: Scalar


class In(_Filter):
    op: Literal["in"] = "in"
    key: Key
    values: list[Scalar] = Field(min_length=1, max_length=MAX_IN_VALUES)


class Range(_Filter):
    op: Literal["range"] = "range"
    key: Key
    gt: Bound | None = None
    gte: Bound | None = None
    lt: Bound | None = None
    lte: Bound | None = None

    @model_validator(mode="after")
    def _one_type(self) -> Range:
        bounds = [b for b in (self.gt, self.gte, self.lt, self.lte) if b is not None]
        if not bounds:
            raise ValueError("a range needs at least one bound")
        kinds = {"string" if isinstance(b, str) else "number" for b in bounds}
        if len(kinds) != 1:
            raise ValueError("range bounds must be all numbers or all strings")
        return self

    @property
    def kind(self) -> str:
        bound = next(b for b in (self.gt, self.gte, self.lt, self.lte) if b is not None)
        return "string" if isinstance(bound, str) else "number"


Filter = Annotated[Equals | In | Range, Field(discriminator="op")]


class FilterSet(BaseModel):
    """The request-body shape: {"filters": [{"op": "eq", "key": ..., "value": ...}, ...]}."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    filters: list[Filter] = Field(default_factory=list, max_length=MAX_FILTERS)


_RANGE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def compile_filters(filters: list[Equals | In | Range], column: str = "c.metadata",
                    prefix: str = "f") -> tuple[sql.Composed, dict[str, object]]:
    """Return (SQL fragment starting with AND, or empty; its named parameters)."""
    # The column and prefix are ours (fixed identifiers in the store), never a caller's.
    col = sql.SQL(column)
    parts: list[sql.Composable] = []
    params: dict[str, object] = {}

    def bind(value: object) -> sql.Placeholder:
        name = f"{prefix}{len(params)}"
        params[name] = value
        return sql.Placeholder(name)

    for f in filters:
        if isinstance(f, Equals):
            parts.append(sql.SQL("{} @> {}::jsonb").format(col, bind(json.dumps({f.key: f.value}))))
        elif isinstance(f, In):
            parts.append(sql.SQL("({} -> {}::text) = ANY ({}::jsonb[])").format(
                col, bind(f.key), bind([json.dumps(v) for v in f.values])))
        else:
            parts.append(sql.SQL("jsonb_typeof({} -> {}::text) = {}").format(col, bind(f.key), bind(f.kind)))
            for name, op in _RANGE_OPS.items():
                bound = getattr(f, name)
                if bound is not None:
                    parts.append(sql.SQL("({} -> {}::text) {} {}::jsonb").format(
                        col, bind(f.key), sql.SQL(op), bind(json.dumps(bound))))
    if not parts:
        return sql.Composed([]), {}
    return sql.Composed([sql.SQL(" AND "), sql.SQL(" AND ").join(parts)]), params

"""Text formats: CSV, HTML (stdlib html.parser), Markdown, plain text and JSON."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from typing import Any

from .base import (
    CorruptDocument,
    DocumentTooLarge,
    HeadingStack,
    ParsedDocument,
    ParseLimits,
    Section,
    TextBudget,
    clean,
    decode_text,
)
from .office import table_row, table_section


def parse_csv(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """One table section; the delimiter (, ; tab |) is sniffed from the first lines."""
    text = TextBudget(limits).take(decode_text(data))
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[str] = []
    cells = 0
    try:
        for values in csv.reader(text.splitlines(), dialect):
            cells += len(values)
            if cells > limits.max_cells:
                raise DocumentTooLarge(f"CSV has more than {limits.max_cells} cells")
            row = table_row(values)
            if row:
                rows.append(row)
    except csv.Error as exc:
        raise CorruptDocument(f"malformed CSV: {exc}") from exc
    return ParsedDocument("csv", [table_section(rows)] if rows else [], {})


def parse_txt(data: bytes, limits: ParseLimits) -> ParsedDocument:
    text = clean(TextBudget(limits).take(decode_text(data)))
    return ParsedDocument("txt", [Section(text=text)] if text else [], {})


_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def parse_markdown(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """A section per ATX (#) or setext (===, ---) heading; '#' lines inside fenced code are not headings."""
    lines = TextBudget(limits).take(decode_text(data)).splitlines()
    headings = HeadingStack()
    sections: list[Section] = []
    body: list[str] = []
    fence: str | None = None

    def flush() -> None:
        text = clean("\n".join(body))
        if text:
            sections.append(Section(text=text, heading_path=headings.path))
        body.clear()

    for line in lines:
        opening = _FENCE.match(line)
        if opening and (fence is None or opening.group(1) == fence):
            fence = opening.group(1) if fence is None else None
            body.append(line)
            continue
        if fence is None and (atx := _ATX.match(line)) and atx.group(2):
            flush()
            headings.push(len(atx.group(1)), atx.group(2))
            continue
        if fence is None and _SETEXT.match(line) and body and body[-1].strip():
            title = body.pop().strip()
            flush()
            headings.push(1 if line.strip().startswith("=") else 2, title)
            continue
        body.append(line)
    flush()
    return ParsedDocument("markdown", sections, {})


_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "nav", "aside", "li", "ul", "ol",
          "table", "tr", "pre", "blockquote", "dl", "dt", "dd", "figure", "figcaption", "form", "br", "hr"}
_LINE = {"li", "tr", "br", "dt", "dd"}  # end a line, not a paragraph
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _HtmlText(HTMLParser):
    """Visible text grouped by heading; script/style and the like are dropped with their content."""

    def __init__(self, budget: TextBudget) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.headings = HeadingStack()
        self.sections: list[Section] = []
        self.body: list[str] = []
        self.heading: list[str] | None = None
        self.heading_level = 0
        self.skip_depth = 0
        self.title: list[str] | None = None
        self.page_title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.title = []
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _HEADINGS and not self.skip_depth:
            self._flush()
            self.heading, self.heading_level = [], _HEADINGS[tag]
        elif tag in _BLOCK:
            self.body.append("\n" if tag in _LINE else "\n\n")
        elif tag in {"td", "th"}:
            self.body.append(" | ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.body.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.title is not None:
            self.page_title, self.title = " ".join("".join(self.title).split()), None
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _HEADINGS and self.heading is not None:
            text = " ".join("".join(self.heading).split())
            if text:
                self.headings.push(self.heading_level, text)
            self.heading = None
        elif tag in _BLOCK and tag not in _LINE:  # a line tag's break is written when the next one opens
            self.body.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
        if self.skip_depth:
            return
        target = self.heading if self.heading is not None else self.body
        target.append(self.budget.take(data))

    def _flush(self) -> None:
        text = clean("".join(self.body))
        text = re.sub(r"^\| ?", "", text, flags=re.MULTILINE)  # the separator before each row's first cell
        text = re.sub(r"\n{3,}", "\n\n", text)
        if text:
            self.sections.append(Section(text=text, heading_path=self.headings.path))
        self.body = []

    def finish(self) -> list[Section]:
        self.close()
        self._flush()
        return self.sections


def parse_html(data: bytes, limits: ParseLimits) -> ParsedDocument:
    parser = _HtmlText(TextBudget(limits))
    parser.feed(decode_text(data))
    sections = parser.finish()
    return ParsedDocument("html", sections, {"title": parser.page_title or None})


def parse_json(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """Flattened `path: value` lines; a section per top-level key or array item keeps related values
    together and gives them a heading path."""
    try:
        value = json.loads(decode_text(data))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise CorruptDocument(f"invalid JSON: {exc}") from exc
    budget = TextBudget(limits)
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = [(str(key), item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"[{index}]", item) for index, item in enumerate(value)]
    else:
        items = [("", value)]
    sections = []
    for key, item in items:
        try:
            lines = [budget.take(line) for line in _flatten(item, "")]
        except RecursionError as exc:
            raise CorruptDocument("JSON is nested too deeply") from exc
        text = "\n".join(lines)
        if text.strip():
            sections.append(Section(text=text, heading_path=(key,) if key else ()))
    return ParsedDocument("json", sections, {})


def _flatten(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        return [line for key, item in value.items()
                for line in _flatten(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [line for index, item in enumerate(value) for line in _flatten(item, f"{path}[{index}]")]
    shown = value if isinstance(value, str) else json.dumps(value)
    return [f"{path}: {shown}" if path else str(shown)]

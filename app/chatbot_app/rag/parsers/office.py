"""Binary formats: PDF (pypdf), DOCX (python-docx), PPTX (python-pptx) and XLSX (openpyxl, read-only).
Each library is imported on first use so the package stays cheap to import."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from .base import (
    CorruptDocument,
    DocumentTooLarge,
    EncryptedDocument,
    HeadingStack,
    ParsedDocument,
    ParseError,
    ParseLimits,
    Section,
    TextBudget,
    check_zip,
    clean,
)

_HEADING_STYLE = re.compile(r"^(?:Heading|Überschrift|Titre|Título)\s*(\d)$", re.IGNORECASE)


def parse_pdf(data: bytes, limits: ParseLimits, pages: range | None = None) -> ParsedDocument:
    """One section per page with text; `pages` (0-based) lets a caller split a long PDF across invocations.
    Heading paths come from the PDF outline (bookmarks) when it has one."""
    from pypdf import PdfReader

    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise CorruptDocument("not a PDF file (missing %PDF- header)")
    budget = TextBudget(limits)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise EncryptedDocument("the PDF is password-protected")
        total = len(reader.pages)
        if total > limits.max_pages:
            raise DocumentTooLarge(f"PDF has {total} pages; the limit is {limits.max_pages}")
        outline = _outline_starts(reader)
        sections: list[Section] = []
        empty = 0
        for index in pages if pages is not None else range(total):
            text = clean(budget.take(reader.pages[index].extract_text() or ""))
            if not text:
                empty += 1  # scanned page or a figure: nothing to index without OCR
                continue
            sections.append(Section(text=text, page=index + 1, heading_path=_path_at(outline, index)))
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input; all mean the same to us
        raise CorruptDocument(f"unreadable PDF: {exc}") from exc
    title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    meta = {"page_count": total, "pages_without_text": empty, "title": str(title) if title else None}
    return ParsedDocument("pdf", sections, meta)


def _outline_starts(reader: Any) -> list[tuple[int, tuple[str, ...]]]:
    """(first page, heading path) for every outline entry, sorted by page; a broken outline is ignored."""
    starts: list[tuple[int, tuple[str, ...]]] = []

    def walk(items: list[Any], parents: tuple[str, ...]) -> None:
        last: tuple[str, ...] = parents
        for item in items:
            if isinstance(item, list):
                walk(item, last)
                continue
            last = (*parents, str(item.title).strip())
            page = reader.get_destination_page_number(item)
            if page is not None and page >= 0:
                starts.append((page, last))

    try:
        walk(reader.outline, ())
    except Exception:  # bookmarks are optional metadata; a damaged outline must not fail the file
        return []
    return sorted(starts, key=lambda start: start[0])


def _path_at(outline: list[tuple[int, tuple[str, ...]]], page: int) -> tuple[str, ...]:
    path: tuple[str, ...] = ()
    for start, entry in outline:
        if start > page:
            break
        path = entry
    return path


def parse_docx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """A section per heading (Heading n / Title styles); tables become `a | b | c` rows inside it."""
    check_zip(data, limits, "word/document.xml")
    from docx import Document
    from docx.table import Table

    budget = TextBudget(limits)
    try:
        document = Document(io.BytesIO(data))
        headings = HeadingStack()
        sections: list[Section] = []
        blocks: list[str] = []

        def flush() -> None:
            text = clean("\n\n".join(blocks))
            if text:
                sections.append(Section(text=text, heading_path=headings.path))
            blocks.clear()

        for block in document.iter_inner_content():
            if isinstance(block, Table):
                rows = (" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
                blocks.append(budget.take("\n".join(rows)))
                continue
            text = budget.take(block.text.strip())
            level = _heading_level(block.style.name if block.style is not None else "")
            if level and text:
                flush()
                headings.push(level, text)
            elif text:
                blocks.append(text)
        flush()
        title = document.core_properties.title or None
    except ParseError:
        raise
    except Exception as exc:  # lxml, KeyError on missing parts, ValueError on bad XML
        raise CorruptDocument(f"unreadable DOCX: {exc}") from exc
    return ParsedDocument("docx", sections, {"title": title})


def _heading_level(style: str) -> int:
    if style == "Title":
        return 1
    match = _HEADING_STYLE.match(style)
    return int(match.group(1)) if match else 0


def parse_pptx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """One section per slide: its title as heading, text of every shape (groups and tables too), notes."""
    check_zip(data, limits, "ppt/presentation.xml")
    from pptx import Presentation

    budget = TextBudget(limits)
    try:
        deck = Presentation(io.BytesIO(data))
        if len(deck.slides) > limits.max_pages:
            count = len(deck.slides)
            raise DocumentTooLarge(f"presentation has {count} slides; the limit is {limits.max_pages}")
        sections: list[Section] = []
        for number, slide in enumerate(deck.slides, start=1):
            title_shape = slide.shapes.title
            title = title_shape.text_frame.text.strip() if title_shape is not None else ""
            title_id = title_shape.shape_id if title_shape is not None else None
            shapes = [shape for shape in slide.shapes if shape.shape_id != title_id]
            parts = [text for shape in shapes for text in _shape_texts(shape)]
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                notes = slide.notes_slide.notes_text_frame.text.strip()
                if notes:
                    parts.append(f"Notes: {notes}")
            body = clean(budget.take("\n\n".join(part for part in parts if part.strip())))
            text = clean(f"{title}\n\n{body}") if title else body
            if text:
                sections.append(Section(text=text, slide=number, heading_path=(title,) if title else ()))
    except ParseError:
        raise
    except Exception as exc:
        raise CorruptDocument(f"unreadable PPTX: {exc}") from exc
    return ParsedDocument("pptx", sections, {"slide_count": len(deck.slides)})


def _shape_texts(shape: Any) -> Iterator[str]:
    if getattr(shape, "shapes", None) is not None:  # group shape
        for child in shape.shapes:
            yield from _shape_texts(child)
    if getattr(shape, "has_table", False) and shape.has_table:
        yield "\n".join(" | ".join(cell.text.strip() for cell in row.cells) for row in shape.table.rows)
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        yield shape.text_frame.text


def parse_xlsx(data: bytes, limits: ParseLimits) -> ParsedDocument:
    """One table section per sheet (read-only mode streams rows; formulas give their cached values).
    The first non-empty row is the header, repeated by the chunker in every chunk of the sheet."""
    check_zip(data, limits, "xl/workbook.xml")
    from openpyxl import load_workbook

    budget = TextBudget(limits)
    cells = 0
    sections: list[Section] = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                rows: list[str] = []
                for values in sheet.iter_rows(values_only=True):
                    cells += len(values)
                    if cells > limits.max_cells:
                        raise DocumentTooLarge(f"workbook has more than {limits.max_cells} cells")
                    row = table_row(values)
                    if row:
                        rows.append(budget.take(row))
                if rows:
                    sections.append(table_section(rows, sheet=sheet.title))
        finally:
            workbook.close()
    except ParseError:
        raise
    except Exception as exc:
        raise CorruptDocument(f"unreadable XLSX: {exc}") from exc
    return ParsedDocument("xlsx", sections, {"sheets": [s.sheet for s in sections]})


def table_row(values: tuple[Any, ...] | list[Any]) -> str:
    """`a | b | c` with trailing empty cells dropped; '' for an empty row."""
    cells = ["" if value is None else " ".join(str(value).split()) for value in values]
    while cells and not cells[-1]:
        cells.pop()
    return " | ".join(cells) if any(cells) else ""


def table_section(rows: list[str], sheet: str | None = None) -> Section:
    return Section(text="\n".join(rows[1:]) or rows[0], kind="table", sheet=sheet,
                   header=rows[0] if len(rows) > 1 else None)

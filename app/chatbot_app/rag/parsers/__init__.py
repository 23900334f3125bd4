"""Document parsers: `parse(data, filename)` returns a ParsedDocument of structured sections or raises a
ParseError subclass (UnsupportedFormat, CorruptDocument, EncryptedDocument, DocumentTooLarge)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from .base import (
    CorruptDocument,
    DocumentTooLarge,
    EncryptedDocument,
    ParsedDocument,
    ParseError,
    ParseLimits,
    Section,
    UnsupportedFormat,
    check_size,
)
from .office import parse_docx, parse_pdf, parse_pptx, parse_xlsx
from .text import parse_csv, parse_html, parse_json, parse_markdown, parse_txt

Parser = Callable[[bytes, ParseLimits], ParsedDocument]

FORMATS: dict[str, Parser] = {
    "pdf": parse_pdf,
    "docx": parse_docx,
    "pptx": parse_pptx,
    "xlsx": parse_xlsx,
    "csv": parse_csv,
    "html": parse_html,
    "markdown": parse_markdown,
    "txt": parse_txt,
    "json": parse_json,
}

EXTENSIONS: dict[str, str] = {
    ".pdf": "pdf", ".docx": "docx", ".pptx": "pptx", ".xlsx": "xlsx", ".csv": "csv",
    ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown",
    ".txt": "txt", ".text": "txt", ".json": "json",
}

# What the upload policy (presigned POST) may allow; keys are the extensions above.
CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "html": "text/html",
    "markdown": "text/markdown",
    "txt": "text/plain",
    "json": "application/json",
}


def detect_format(filename: str) -> str:
    """The format named by the file's extension (case-insensitive)."""
    suffix = PurePosixPath(filename).suffix.lower()
    if suffix not in EXTENSIONS:
        allowed = ", ".join(sorted(EXTENSIONS))
        raise UnsupportedFormat(f"unsupported file type {suffix or '(none)'!r}; supported: {allowed}")
    return EXTENSIONS[suffix]


def parse(data: bytes, filename: str, limits: ParseLimits | None = None,
          pages: range | None = None) -> ParsedDocument:
    """Parse a document's bytes. `pages` (0-based, PDF only) parses part of a long PDF so ingestion can
    split it across invocations."""
    limits = limits or ParseLimits()
    fmt = detect_format(filename)
    check_size(data, limits)
    if fmt == "pdf":
        return parse_pdf(data, limits, pages)
    return FORMATS[fmt](data, limits)


def pdf_page_count(data: bytes, limits: ParseLimits | None = None) -> int:
    """Page count without extracting text (cheap: pypdf reads the page tree only)."""
    limits = limits or ParseLimits()
    check_size(data, limits)
    return int(parse_pdf(data, limits, range(0)).metadata["page_count"])


__all__ = [
    "CONTENT_TYPES", "EXTENSIONS", "FORMATS", "CorruptDocument", "DocumentTooLarge", "EncryptedDocument",
    "ParseError", "ParseLimits", "ParsedDocument", "Section", "UnsupportedFormat", "detect_format", "parse",
    "pdf_page_count",
]

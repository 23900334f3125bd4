"""What every parser returns (sections with their place in the document), the errors it raises and the
limits it enforces. Parsers only see bytes: the caller reads the object from S3."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal

SectionKind = Literal["text", "table"]


class ParseError(Exception):
    """Base of every parsing failure; `reason` is a short, user-facing explanation stored on the document."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedFormat(ParseError):
    """The file's extension is not one this service parses."""


class CorruptDocument(ParseError):
    """The bytes are not a valid file of the declared type (truncated, wrong magic, malformed)."""


class EncryptedDocument(CorruptDocument):
    """A password-protected file: unreadable without the password, so refused like a corrupt one."""


class DocumentTooLarge(ParseError):
    """The file, its uncompressed content or its extracted text exceeds a limit."""


@dataclass(frozen=True)
class ParseLimits:
    """Bounds that keep one upload from exhausting a Lambda's memory or time (zip bombs included)."""

    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 300 * 1024 * 1024  # sum of an OOXML zip's members
    max_chars: int = 20_000_000  # extracted text
    max_pages: int = 5_000  # PDF pages, slides
    max_cells: int = 2_000_000  # spreadsheet / CSV cells


@dataclass(frozen=True)
class Section:
    """A structural unit of a document. The chunker never merges two sections, so a chunk always has one
    page, slide or sheet and one heading path. `header` is a table's header row, repeated in every chunk."""

    text: str
    kind: SectionKind = "text"
    page: int | None = None  # PDF page, 1-based
    slide: int | None = None  # PPTX slide, 1-based
    sheet: str | None = None  # XLSX sheet name
    heading_path: tuple[str, ...] = ()
    header: str | None = None

    def location(self) -> dict[str, Any]:
        """The section's place in the document, without empty fields (stored as chunk metadata)."""
        place: dict[str, Any] = {"page": self.page, "slide": self.slide, "sheet": self.sheet}
        place = {key: value for key, value in place.items() if value is not None}
        if self.heading_path:
            place["heading_path"] = list(self.heading_path)
        return place


@dataclass(frozen=True)
class ParsedDocument:
    format: str
    sections: list[Section]
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)


class TextBudget:
    """Counts extracted characters so a small file that expands into huge text is refused early."""

    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.chars = 0

    def take(self, text: str) -> str:
        self.chars += len(text)
        if self.chars > self.limits.max_chars:
            raise DocumentTooLarge(f"extracted text exceeds {self.limits.max_chars} characters")
        return text


class HeadingStack:
    """The current heading path: a level-n heading replaces every heading at level n or deeper."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> None:
        self._levels = [(lvl, text) for lvl, text in self._levels if lvl < level]
        self._levels.append((level, title))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self._levels)


def check_size(data: bytes, limits: ParseLimits) -> None:
    if len(data) > limits.max_bytes:
        raise DocumentTooLarge(f"file is {len(data)} bytes; the limit is {limits.max_bytes}")
    if not data:
        raise CorruptDocument("file is empty")


def check_zip(data: bytes, limits: ParseLimits, required: str) -> None:
    """OOXML files are zips: refuse non-zips, archives without the format's main part and zip bombs
    before handing them to a parser that would inflate them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
            total = sum(member.file_size for member in members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise CorruptDocument(f"not a valid Office Open XML (zip) file: {exc}") from exc
    if "[Content_Types].xml" not in names or required not in names:
        raise CorruptDocument(f"zip file is not the declared Office format (no {required})")
    if total > limits.max_uncompressed_bytes:
        limit = limits.max_uncompressed_bytes
        raise DocumentTooLarge(f"uncompressed content is {total} bytes; the limit is {limit}")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; else Windows-1252, the usual legacy encoding.
    NUL bytes in a supposed text file mean it is binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise CorruptDocument(f"invalid UTF-16 text: {exc}") from exc
    if b"\x00" in data:
        raise CorruptDocument("binary content in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def clean(text: str) -> str:
    """Collapse runs of spaces inside lines and strip each line; keep line breaks (they carry structure)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(lines).strip()

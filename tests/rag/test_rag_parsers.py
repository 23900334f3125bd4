"""Parsers on the real sample files in tests/data (made by tests/data/make_samples.py with the same
libraries), plus corrupt, encrypted, oversized and hostile inputs."""

from __future__ import annotations

import io
import subprocess  # noqa: S404  # nosec B404
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "app") not in sys.path:
    sys.path.insert(0, str(ROOT / "app"))

from chatbot_app.rag.parsers import (  # noqa: E402
    CONTENT_TYPES,
    EXTENSIONS,
    CorruptDocument,
    DocumentTooLarge,
    EncryptedDocument,
    ParsedDocument,
    ParseError,
    ParseLimits,
    UnsupportedFormat,
    parse,
    pdf_page_count,
)

DATA = ROOT / "tests" / "data"


def load(name: str, limits: ParseLimits | None = None) -> ParsedDocument:
    return parse((DATA / name).read_bytes(), name, limits)


@pytest.mark.parametrize(
    ("name", "fmt", "snippet"),
    [
        ("sample.pdf", "pdf", "pelican code"),
        ("sample.docx", "docx", "quince"),
        ("sample.pptx", "pptx", "marmot campaign"),
        ("sample.xlsx", "xlsx", "Bellows | 3 | Porto"),
        ("sample.csv", "csv", "Quito; old town | Ecuador | 2800000"),
        ("sample.html", "html", "Stoneware matures near 1280°C."),
        ("sample.md", "markdown", "Inspect every nine days"),
        ("sample.txt", "txt", "tidal mill"),
        ("sample.json", "json", "void_if: immersed in water"),
    ],
)
def test_every_supported_type_parses(name: str, fmt: str, snippet: str) -> None:
    document = load(name)
    assert document.format == fmt
    assert document.sections and all(section.text.strip() for section in document.sections)
    assert snippet in document.text


def test_every_format_has_an_extension_and_a_content_type() -> None:
    assert set(EXTENSIONS.values()) == set(CONTENT_TYPES)
    assert {path.suffix for path in DATA.glob("sample.*")} <= set(EXTENSIONS)


def test_pdf_sections_are_pages_with_outline_headings() -> None:
    document = load("sample.pdf")
    assert [section.page for section in document.sections] == [1, 2, 3]
    assert [section.heading_path for section in document.sections] == [
        ("Introduction",),
        ("Security",),
        ("Security", "Encryption"),
    ]
    assert "(granite)" in document.sections[0].text  # escaped parentheses survive the round trip
    assert document.metadata == {"page_count": 3, "pages_without_text": 0, "title": "Sample PDF"}


def test_pdf_page_window_and_count_for_split_ingestion() -> None:
    data = (DATA / "sample.pdf").read_bytes()
    assert pdf_page_count(data) == 3
    window = parse(data, "x.pdf", pages=range(1, 2))
    assert [section.page for section in window.sections] == [2]


def test_docx_heading_paths_and_tables() -> None:
    sections = load("sample.docx").sections
    assert [section.heading_path for section in sections] == [
        ("Orchard handbook",),
        ("Planting",),
        ("Planting", "Soil"),
        ("Harvest",),
    ]
    soil = sections[2].text
    assert "Variety | Yield kg\nVranja | 40\nMeech | 35" in soil
    assert load("sample.docx").metadata["title"] == "Orchard handbook"


def test_pptx_one_section_per_slide_with_title_table_and_notes() -> None:
    sections = load("sample.pptx").sections
    assert [(section.slide, section.heading_path) for section in sections] == [
        (1, ("Quarterly review",)),
        (2, ("Results",)),
        (3, ("Regions",)),
    ]
    assert sections[1].text.count("Results") == 1  # the title shape is not repeated as body text
    assert "Notes: Mention the marmot campaign." in sections[1].text
    assert "Region | Sales\nNorth | 120\nSouth | 95" in sections[2].text


def test_xlsx_sheets_are_tables_with_headers_and_empty_sheets_are_skipped() -> None:
    document = load("sample.xlsx")
    assert [(s.sheet, s.kind, s.header) for s in document.sections] == [
        ("Inventory", "table", "Item | Quantity | Warehouse"),
        ("Staff", "table", "Name | Role"),
    ]
    assert document.sections[0].text.splitlines() == [
        "Anvil | 12 | Lyon",
        "Bellows | 3 | Porto",
        "Chisel | 48 | Lyon",
    ]


def test_csv_delimiter_is_sniffed_and_quotes_are_respected() -> None:
    (section,) = load("sample.csv").sections
    assert section.header == "city | country | population"
    assert section.text.splitlines()[-1] == "Quito; old town | Ecuador | 2800000"


def test_html_drops_script_style_and_keeps_headings() -> None:
    document = load("sample.html")
    assert document.metadata["title"] == "Kiln guide"
    text = document.text
    for hidden in ("do not index", "color: red", "Enable scripts"):
        assert hidden not in text
    assert [s.heading_path for s in document.sections] == [
        ("Kiln guide",),
        ("Kiln guide", "Temperatures"),
        ("Kiln guide", "Cooling"),
    ]
    assert "Fire the kiln slowly & evenly." in text
    assert "Clay | Cone\nPorcelain | 10" in text
    assert "Never open the lid above 200°C.\nWait a full day." in text


def test_markdown_headings_ignore_code_fences_and_read_setext() -> None:
    sections = load("sample.md").sections
    assert [s.heading_path for s in sections] == [
        ("Beekeeping notes",),
        ("Beekeeping notes", "Inspections"),
        ("Beekeeping notes", "Winter care"),
    ]
    assert "# not a heading: a comment in code" in sections[1].text


def test_json_is_flattened_per_top_level_key() -> None:
    sections = load("sample.json").sections
    assert [s.heading_path for s in sections] == [("product",), ("warranty",), ("discontinued",)]
    assert sections[0].text.splitlines() == [
        "name: Heron kettle",
        "capacity_l: 1.7",
        "colours[0]: slate",
        "colours[1]: sand",
    ]


def test_text_encodings() -> None:
    assert parse("Grüße aus Köln".encode("utf-16"), "a.txt").text == "Grüße aus Köln"
    assert parse("\ufeffcafé".encode(), "a.txt").text == "café"
    assert parse("café".encode("cp1252"), "a.txt").text == "café"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("corrupt.pdf", CorruptDocument),
        ("corrupt.docx", CorruptDocument),
        ("encrypted.pdf", EncryptedDocument),
    ],
)
def test_corrupt_and_encrypted_files_are_refused(name: str, error: type[ParseError]) -> None:
    with pytest.raises(error) as caught:
        load(name)
    assert caught.value.reason
    assert isinstance(caught.value, CorruptDocument)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"this is not a PDF", "a.pdf"),
        (b"PK\x03\x04 not really a zip", "a.docx"),
        (b"", "a.txt"),
        (b"MZ\x00\x00\x90binary", "a.txt"),
        (b'{"a": [1, 2', "a.json"),
        (b"[" * 100_000, "a.json"),
        (b"\xff\xfe\x00\xd8", "a.txt"),  # UTF-16 BOM followed by a lone surrogate
    ],
)
def test_malformed_inputs_are_corrupt(data: bytes, name: str) -> None:
    with pytest.raises(CorruptDocument):
        parse(data, name)


def test_an_office_file_of_the_wrong_kind_is_corrupt() -> None:
    with pytest.raises(CorruptDocument, match="word/document.xml"):
        parse((DATA / "sample.pptx").read_bytes(), "renamed.docx")


@pytest.mark.parametrize("name", ["sample.pdf", "sample.docx", "sample.pptx", "sample.xlsx", "sample.html"])
def test_files_over_the_size_limit_are_refused_before_parsing(name: str) -> None:
    with pytest.raises(DocumentTooLarge, match="bytes; the limit is 200"):
        load(name, ParseLimits(max_bytes=200))


def test_zip_bombs_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * 5_000_000)
    assert len(out.getvalue()) < 20_000
    with pytest.raises(DocumentTooLarge, match="uncompressed"):
        parse(out.getvalue(), "bomb.docx", ParseLimits(max_uncompressed_bytes=1_000_000))


def test_text_and_cell_limits() -> None:
    with pytest.raises(DocumentTooLarge, match="characters"):
        load("sample.txt", ParseLimits(max_chars=50))
    with pytest.raises(DocumentTooLarge, match="characters"):
        load("sample.pdf", ParseLimits(max_chars=150))
    with pytest.raises(DocumentTooLarge, match="cells"):
        load("sample.xlsx", ParseLimits(max_cells=10))
    with pytest.raises(DocumentTooLarge, match="cells"):
        load("sample.csv", ParseLimits(max_cells=6))
    with pytest.raises(DocumentTooLarge, match="pages"):
        load("sample.pdf", ParseLimits(max_pages=2))
    with pytest.raises(DocumentTooLarge, match="slides"):
        load("sample.pptx", ParseLimits(max_pages=2))


@pytest.mark.parametrize("name", ["notes.exe", "archive.zip", "README", "old.doc"])
def test_unsupported_types_name_the_supported_ones(name: str) -> None:
    with pytest.raises(UnsupportedFormat, match=r"supported: .*\.pdf"):
        parse(b"data", name)


def test_extension_matching_ignores_case_and_directories() -> None:
    assert parse(b"hello", "workspace/uploads/NOTES.TXT").format == "txt"
    assert parse(b"# T\n\nx", "a/b.Markdown").format == "markdown"


def test_importing_parsers_loads_no_document_library() -> None:
    code = (
        "import sys; sys.path.insert(0, 'app'); import chatbot_app.rag.parsers, chatbot_app.rag.chunking; "
        "loaded = {'pypdf', 'docx', 'pptx', 'openpyxl'} & set(sys.modules); assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)  # noqa: S603  # nosec B603

"""Writes the sample documents under tests/data with the same libraries the parsers read them with.

Run from the repo root: .venv/bin/python tests/data/make_samples.py
Zip-based files get fixed member timestamps so a re-run produces the same bytes."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_TIME = (2024, 1, 1, 0, 0, 0)
SAMPLE_PASSWORD = "sample-only"  # noqa: S105 - protects a public test file, nothing else


def _pdf_escape(text: str) -> bytes:
    encoded = text.encode("cp1252")
    return encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def write_pdf(pages: list[list[str]], outline: Sequence[tuple[str, int, str | None]] = (),
              password: str = "") -> bytes:
    """A text PDF (Helvetica, one line per string) made with pypdf; outline entries are
    (title, 0-based page, parent title or None)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    })
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
        body = b" T* ".join(b"(" + _pdf_escape(line) + b") Tj" for line in lines)
        stream = DecodedStreamObject()
        stream.set_data(b"BT /F1 11 Tf 14 TL 72 740 Td " + body + b" ET")
        page.replace_contents(stream)
    parents = {}
    for title, page_index, parent in outline:
        parents[title] = writer.add_outline_item(
            title=title, page_number=page_index, parent=parents.get(parent) if parent else None
        )
    writer.add_metadata({"/Title": "Sample PDF", "/Producer": "make_samples"})
    if password:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip with constant timestamps (python-docx/pptx/openpyxl stamp the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), source.read(info.filename),
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def sample_pdf() -> bytes:
    pages = [
        ["Introduction", "The aurora lighthouse keeps ships away from the northern reef.",
         "It was built in 1871 (granite) and automated in 1962."],
        ["Security", "Visitors must register at the gate. Cameras watch the stairs.",
         "Only keepers hold keys to the lamp room."],
        ["Encryption", "Logbooks are sealed with a cipher known as the pelican code.",
         "The code changes every solstice."],
    ]
    outline = [("Introduction", 0, None), ("Security", 1, None), ("Encryption", 2, "Security")]
    return write_pdf(pages, outline)


def sample_docx() -> bytes:
    from docx import Document

    document = Document()
    document.core_properties.title = "Orchard handbook"
    document.add_heading("Orchard handbook", level=0)
    document.add_paragraph("This handbook explains how the quince orchard is run.")
    document.add_heading("Planting", level=1)
    document.add_paragraph("Plant quince trees in late autumn. Space them five metres apart.")
    document.add_heading("Soil", level=2)
    document.add_paragraph("Loam with a pH of 6.5 suits them best.")
    table = document.add_table(rows=3, cols=2)
    for row, (variety, yield_kg) in zip(table.rows, [("Variety", "Yield kg"), ("Vranja", "40"),
                                                     ("Meech", "35")], strict=True):
        row.cells[0].text, row.cells[1].text = variety, yield_kg
    document.add_heading("Harvest", level=1)
    document.add_paragraph("Pick the fruit when it turns golden and smells of pineapple.")
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


def sample_pptx() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    title_slide = deck.slides.add_slide(deck.slide_layouts[0])
    title_slide.shapes.title.text = "Quarterly review"
    title_slide.placeholders[1].text = "Falcon team, third quarter"
    bullets = deck.slides.add_slide(deck.slide_layouts[1])
    bullets.shapes.title.text = "Results"
    frame = bullets.placeholders[1].text_frame
    frame.text = "Revenue grew by twelve percent."
    frame.add_paragraph().text = "Churn fell to two percent."
    bullets.notes_slide.notes_text_frame.text = "Mention the marmot campaign."
    table_slide = deck.slides.add_slide(deck.slide_layouts[5])
    table_slide.shapes.title.text = "Regions"
    table = table_slide.shapes.add_table(3, 2, Inches(1), Inches(2), Inches(6), Inches(1.5)).table
    for r, (region, sales) in enumerate([("Region", "Sales"), ("North", "120"), ("South", "95")]):
        table.cell(r, 0).text, table.cell(r, 1).text = region, sales
    out = io.BytesIO()
    deck.save(out)
    return _fixed_zip(out.getvalue())


def sample_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    inventory = workbook.active
    inventory.title = "Inventory"
    for row in [("Item", "Quantity", "Warehouse"), ("Anvil", 12, "Lyon"), ("Bellows", 3, "Porto"),
                ("Chisel", 48, "Lyon")]:
        inventory.append(row)
    staff = workbook.create_sheet("Staff")
    for row in [("Name", "Role"), ("Ada", "Smith"), ("Bram", "Apprentice")]:
        staff.append(row)
    workbook.create_sheet("Empty")
    out = io.BytesIO()
    workbook.save(out)
    return _fixed_zip(out.getvalue())


SAMPLE_CSV = (
    "city;country;population\nLisbon;Portugal;545000\nOslo;Norway;709000\n"
    "\"Quito; old town\";Ecuador;2800000\n"
)

SAMPLE_HTML = """<!doctype html>
<html><head><title>Kiln guide</title><style>body { color: red; }</style>
<script>var secret = "do not index";</script></head>
<body>
<h1>Kiln guide</h1>
<p>Fire the kiln slowly &amp; evenly.</p>
<h2>Temperatures</h2>
<p>Stoneware matures near 1280&deg;C.</p>
<table><tr><th>Clay</th><th>Cone</th></tr><tr><td>Porcelain</td><td>10</td></tr></table>
<noscript>Enable scripts</noscript>
<h2>Cooling</h2>
<ul><li>Never open the lid above 200&deg;C.</li><li>Wait a full day.</li></ul>
</body></html>
"""

SAMPLE_MD = """# Beekeeping notes

Bees need water near the hive.

## Inspections

Inspect every nine days in spring.

```python
# not a heading: a comment in code
print("smoke")
```

Winter care
-----------

Leave the honey they need to overwinter.
"""

SAMPLE_TXT = ("The tidal mill grinds grain twice a day.\n\nWhen the tide turns, the sluice gate closes.\n"
              "Millers learned to read the moon.\n")

SAMPLE_JSON = {
    "product": {"name": "Heron kettle", "capacity_l": 1.7, "colours": ["slate", "sand"]},
    "warranty": {"years": 2, "void_if": "immersed in water"},
    "discontinued": False,
}


def write_all(target: Path = HERE) -> dict[str, int]:
    pdf = sample_pdf()
    docx = sample_docx()
    files = {
        "sample.pdf": pdf,
        "sample.docx": docx,
        "sample.pptx": sample_pptx(),
        "sample.xlsx": sample_xlsx(),
        "sample.csv": SAMPLE_CSV.encode(),
        "sample.html": SAMPLE_HTML.encode(),
        "sample.md": SAMPLE_MD.encode(),
        "sample.txt": SAMPLE_TXT.encode(),
        "sample.json": (json.dumps(SAMPLE_JSON, indent=2) + "\n").encode(),
        # failure cases: a truncated PDF, a truncated DOCX and a password-protected PDF
        "corrupt.pdf": pdf[: len(pdf) // 3],
        "corrupt.docx": docx[: len(docx) // 2],
        "encrypted.pdf": write_pdf([["Top secret"]], password=SAMPLE_PASSWORD),
    }
    for name, data in files.items():
        (target / name).write_bytes(data)
    return {name: len(data) for name, data in files.items()}


if __name__ == "__main__":
    for name, size in write_all().items():
        print(f"{name}: {size} bytes")

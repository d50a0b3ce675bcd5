"""Hostile files, built on the fly with streaming writes (never committed): zip-bomb workbooks, workbooks
of too many rows, and a CSV whose one cell is larger than a parser block. Used by tests/io and by
benchmarks/bench_hostile_files.py."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
        '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
        'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_DOC}"><sheets>'
        '<sheet name="Posts" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_RELS}"><Relationship Id="rId1" '
        f'Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}
CHUNK = 1 << 20


def row_xml(index: int, values: Iterable[str]) -> str:
    """One <row> of inline-string cells (columns A, B, ...)."""
    cells = "".join(f'<c r="{chr(65 + column)}{index}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
                    for column, value in enumerate(values))
    return f'<row r="{index}">{cells}</row>'


def write_xlsx(path: Path, sheet_body: Iterable[str], *, dimension: str | None = None) -> Path:
    """A minimal valid .xlsx whose one sheet's <sheetData> is the concatenation of `sheet_body`, written
    piece by piece into the archive so a bomb never sits in memory."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}">'
            if dimension:
                head += f'<dimension ref="{dimension}"/>'
            sheet.write((head + "<sheetData>").encode())
            for piece in sheet_body:
                sheet.write(piece.encode())
            sheet.write(b"</sheetData></worksheet>")
    return path


def repeated(text: str, total_chars: int) -> Iterator[str]:
    """`text` repeated to `total_chars` characters, in chunks of about a megabyte."""
    block = text * max(1, CHUNK // len(text))
    written = 0
    while written < total_chars:
        piece = block[: total_chars - written]
        written += len(piece)
        yield piece


def huge_cell_xlsx(path: Path, chars: int) -> Path:
    """A header, then one post whose text is `chars` characters of 'A' (a 1 GB cell packs to about 1 MB)."""
    def body() -> Iterator[str]:
        yield row_xml(1, ["text", "platform"])
        yield '<row r="2"><c r="A2" t="inlineStr"><is><t>'
        yield from repeated("A", chars)
        yield '</t></is></c><c r="B2" t="inlineStr"><is><t>twitter</t></is></c></row>'
    return write_xlsx(path, body())


def whitespace_xlsx(path: Path, blank_bytes: int) -> Path:
    """Two real rows, then `blank_bytes` of whitespace between the XML elements (valid XML, all air)."""
    def body() -> Iterator[str]:
        yield row_xml(1, ["text", "platform"]) + row_xml(2, ["a post", "twitter"])
        yield from repeated(" ", blank_bytes)
    return write_xlsx(path, body())


def many_rows_xlsx(path: Path, rows: int, *, declare: bool = True, tail: str = "") -> Path:
    """A header and `rows` posts; the sheet declares its size (as Excel does) unless `declare` is False.
    `tail` is written after the rows (e.g. broken XML, to show a reader stopped before it)."""
    def body() -> Iterator[str]:
        yield row_xml(1, ["text", "platform"])
        batch: list[str] = []
        for index in range(2, rows + 2):
            batch.append(row_xml(index, [f"post number {index}", "twitter"]))
            if len(batch) == 10_000:
                yield "".join(batch)
                batch = []
        yield "".join(batch) + tail
    return write_xlsx(path, body(), dimension=f"A1:B{rows + 1}" if declare else None)


def single_cell_csv(path: Path, chars: int) -> Path:
    """A CSV whose first post is one quoted cell of `chars` characters, then an ordinary post."""
    with path.open("w", encoding="utf-8") as out:
        out.write('text,platform\n"')
        for piece in repeated("a", chars):
            out.write(piece)
        out.write('",twitter\n"an ordinary post",twitter\n')
    return path

"""Reading tabular files as a planner gets them: CSV in any common encoding and delimiter, or Excel .xlsx.

Rows are streamed with their row numbers (1 = the header) so that a rejected row can be reported exactly, and
with the fraction of the file read so far for a progress bar. Encodings: a UTF-8 byte-order mark wins; else each
line is read as UTF-8 and, where that fails, as cp1252 — files pasted together from several sources often mix the
two, and a whole-file guess would garble one half.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp1252")
SAMPLE_BYTES = 256 * 1024


class TableError(Exception):
    """The file cannot be read as a table; the message names the file and the reason."""


@dataclass
class TableInfo:
    path: Path
    header: list[str]
    encoding: str  # what was detected or asked for ("utf-8", "utf-8-sig", "cp1252", "utf-8+cp1252", "xlsx")
    delimiter: str | None  # None for Excel
    size_bytes: int
    fallback_lines: list[int] = field(default_factory=list)  # lines read as cp1252 in a UTF-8 file


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        # The sniffer gives up on ragged files: take the delimiter that splits the header the most.
        return max(DELIMITERS, key=lambda d: lines[0].count(d))


class _LineDecoder:
    """Decodes byte lines as UTF-8, falling back to cp1252 line by line; remembers where it fell back."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.fallback_lines: list[int] = []
        self.line = 0

    def decode(self, raw: bytes) -> str:
        self.line += 1
        if self.encoding == "cp1252":
            return raw.decode("cp1252", errors="replace")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if self.encoding != "auto":
                raise TableError(f"line {self.line} is not valid {self.encoding}; choose another encoding") from None
            self.fallback_lines.append(self.line)
            return raw.decode("cp1252", errors="replace")


def open_table(path: str | Path, encoding: str = "auto", delimiter: str | None = None
               ) -> tuple[TableInfo, Iterator[tuple[int, list[str], float]]]:
    """The header and an iterator of (row number, cells, fraction read). Raises TableError for unusable files."""
    path = Path(path)
    if encoding not in ENCODINGS:
        raise TableError(f"unknown encoding {encoding!r} (use one of {', '.join(ENCODINGS)})")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise TableError(f"unknown delimiter {delimiter!r} (use comma, semicolon, tab or |)")
    if not path.is_file():
        raise TableError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise TableError(f"{path}: the file is empty")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _open_xlsx(path, size)
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(b"PK\x03\x04"):
        raise TableError(f"{path}: looks like an Excel or zip file; save it as .xlsx or CSV")
    if b"\x00" in head[:4096]:
        raise TableError(f"{path}: not a text file (UTF-16 or binary); save it as CSV in UTF-8")
    bom = head.startswith(codecs.BOM_UTF8)
    if encoding == "auto" and bom:
        encoding = "utf-8-sig"
    decoder = _LineDecoder("utf-8" if encoding == "utf-8-sig" else encoding)
    sample = head[len(codecs.BOM_UTF8):] if bom else head
    sample_text = sample.decode("utf-8", errors="replace") if encoding != "cp1252" else sample.decode("cp1252")
    delimiter = delimiter or _sniff_delimiter(sample_text)
    fh = open(path, "rb")
    progress = [0]

    def lines() -> Iterator[str]:
        first = True
        for raw in fh:
            progress[0] += len(raw)
            if first and bom:
                raw = raw[len(codecs.BOM_UTF8):]
            first = False
            yield decoder.decode(raw)

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise TableError(f"{path}: the file has no header line") from None
    except csv.Error as exc:
        fh.close()
        raise TableError(f"{path}: cannot be read as CSV ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        fh.close()
        raise TableError(f"{path}: the first line (the header) is empty")
    info = TableInfo(path, header, encoding, delimiter, size, decoder.fallback_lines)

    def rows() -> Iterator[tuple[int, list[str], float]]:
        number = 1
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    number += 1
                    yield number, [f"<unreadable: {exc}>"], progress[0] / size
                    continue
                number += 1
                yield number, cells, progress[0] / size
        finally:
            fh.close()
            if decoder.fallback_lines and info.encoding == "auto":
                info.encoding = "utf-8+cp1252"
    return info, rows()


def _open_xlsx(path: Path, size: int):
    try:
        import openpyxl
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise TableError(f"{path}: cannot be read as an Excel workbook ({exc})") from None
    sheet = book.worksheets[0]
    total = max(sheet.max_row or 1, 1)
    values = sheet.iter_rows(values_only=True)
    try:
        header_row = next(values)
    except StopIteration:
        book.close()
        raise TableError(f"{path}: the first sheet is empty") from None
    header = ["" if v is None else str(v).strip() for v in header_row]
    info = TableInfo(path, header, "xlsx", None, size)

    def rows():
        try:
            for number, row in enumerate(values, start=2):
                # Numbers stay numbers' text form; dates and others become their string form.
                yield number, ["" if v is None else _cell_text(v) for v in row], number / total
        finally:
            book.close()
    return info, rows()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def sniff_preview(path: str | Path, encoding: str = "auto", delimiter: str | None = None, rows: int = 20
                  ) -> tuple[TableInfo, list[list[str]]]:
    """The header and the first rows, for a mapping dialog's preview."""
    info, iterator = open_table(path, encoding, delimiter)
    preview = []
    for _, cells, _ in iterator:
        preview.append(cells)
        if len(preview) >= rows:
            break
    iterator.close()
    return info, preview


"""Reading tabular files as a planner gets them: CSV in any common encoding and delimiter, or Excel .xlsx.

Rows are streamed with their row numbers (1 = the header) so that a rejected row can be reported exactly, and
with the fraction of the file read so far for a progress bar. Encodings: a UTF-8 byte-order mark wins; else the
text is read as UTF-8 and any byte sequence that is not UTF-8 as cp1252 — files pasted together from several
sources often mix the two, and a whole-file guess would garble one half.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp1252")
SAMPLE_BYTES = 256 * 1024
# Python's csv refuses fields over 128 KB with an error that loses the row. Reading them whole lets the importer
# reject such a row for its real reason (a field far too long) and keep it; memory is bounded by the file anyway.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))


class TableError(Exception):
    """The file cannot be read as a table; the message names the file and the reason."""


@dataclass
class TableInfo:
    path: Path
    header: list[str]
    encoding: str  # what was detected or asked for ("utf-8", "utf-8-sig", "cp1252", "utf-8+cp1252", "xlsx")
    delimiter: str | None  # None for Excel
    size_bytes: int
    fallback_characters: int = 0  # bytes that were not UTF-8 and were read as cp1252 (known once read)


def _sniff_delimiter(sample: str) -> str:
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        # The sniffer gives up on ragged files: take the delimiter that splits the header the most.
        return max(DELIMITERS, key=lambda d: lines[0].count(d))


_handlers = itertools.count()


def _cp1252_fallback(counter: list[int]) -> str:
    """Register a decoding error handler that reads bytes which are not UTF-8 as cp1252 (and counts them).
    The file is then decoded by Python's C decoder at full speed; only the odd bytes reach this handler."""
    name = f"desktop_planner_cp1252_{next(_handlers)}"

    def handler(error: UnicodeDecodeError):
        counter[0] += 1
        return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end
    codecs.register_error(name, handler)
    return name


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
    asked = encoding
    if encoding == "auto" and bom:
        encoding = "utf-8-sig"
    sample = head[len(codecs.BOM_UTF8):] if bom else head
    sample_text = sample.decode("utf-8", errors="replace") if encoding != "cp1252" else sample.decode("cp1252")
    delimiter = delimiter or _sniff_delimiter(sample_text)
    fallbacks = [0]
    errors = {"auto": _cp1252_fallback(fallbacks), "cp1252": "replace"}.get(asked, "strict")
    raw = open(path, "rb")
    text = io.TextIOWrapper(raw, encoding="cp1252" if encoding == "cp1252" else "utf-8-sig" if bom else "utf-8",
                            errors=errors, newline="")

    def lines() -> Iterator[str]:
        try:
            yield from text
        except UnicodeDecodeError as exc:
            raise TableError(f"{path}: not valid {encoding} (byte {exc.start} of a block near "
                             f"{raw.tell():,} bytes); choose another encoding") from None

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        text.close()
        raise TableError(f"{path}: the file has no header line") from None
    except csv.Error as exc:
        text.close()
        raise TableError(f"{path}: cannot be read as CSV ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        text.close()
        raise TableError(f"{path}: the first line (the header) is empty")
    info = TableInfo(path, header, encoding, delimiter, size)

    def rows() -> Iterator[tuple[int, list[str], float]]:
        number = 1
        fraction = 0.0
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    number += 1
                    yield number, [f"<unreadable: {exc}>"], fraction
                    continue
                number += 1
                if number % 4096 == 0:  # asking the file where it is costs more than parsing a short row
                    fraction = raw.tell() / size
                yield number, cells, fraction
        finally:
            text.close()
            info.fallback_characters = fallbacks[0]
            if fallbacks[0] and asked == "auto":
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


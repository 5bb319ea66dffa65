"""What an upload is, from its first bytes: a table, a workbook, a web page or something else
(an image, a PDF, an archive); and the text encoding of a CSV (see :mod:`geo.uploads.tables`).
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from functools import lru_cache

_KNOWN_BINARY: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF", "a PDF document"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


ZIP_MAGIC = b"PK\x03\x04"


TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab"}


SHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


HEAD_BYTES = 262_144  # what the sniffing steps look at


CHUNK = 1 << 20


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def display_name(filename: str) -> str:
    """The file name for messages: control characters removed, at most 80 characters.

    Messages are plain text; the UI shows them without Markdown, so a name such as
    ``[x](javascript:...)`` stays literal.
    """
    name = re.sub(r"[\x00-\x1f\x7f]", "", str(filename or ""))
    return name if len(name) <= 80 else name[:77] + "..."


def extension(filename: str) -> str:
    """Lower-case extension including the dot ('' if none)."""
    name = str(filename or "").strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def sniff(data: bytes) -> tuple[str, str]:
    """Classify content from its first bytes.

    Returns (kind, description) with kind one of ``"spreadsheet"``, ``"html"``,
    ``"xml-spreadsheet"``, ``"text"`` or ``"binary"``.
    """
    head = data[:4096]
    for magic, what in _KNOWN_BINARY:
        if head.startswith(magic):
            return "binary", what
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "binary", "an image or media file"
    if head[4:8] == b"ftyp":
        return "binary", "an image or video file"
    if head.startswith(_OLE2):
        return "spreadsheet", "an old-format Office file"
    if head.startswith(ZIP_MAGIC):
        return sniff_zip(data)
    if any(head.startswith(bom) for bom, _ in _BOMS if bom != codecs.BOM_UTF8):
        return "text", "UTF-16/32 text"
    if b"\x00" in head:
        if _wide_unicode(data[:HEAD_BYTES]):
            return "text", "UTF-16/32 text"
        return "binary", "a binary (non-text) file"
    markup = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if markup.startswith(b"<"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head.lower():
            return "xml-spreadsheet", "an Excel 2003 XML spreadsheet"
        if b"<table" in data[:HEAD_BYTES].lower() or markup.startswith((b"<!doctype", b"<html")):
            return "html", "a web page (HTML)"
    return "text", "text"


@lru_cache(maxsize=8)
def _wide_unicode(head: bytes) -> str | None:
    """The UTF-16/32 encoding of BOM-less text (charset-normalizer), else None."""
    from charset_normalizer import from_bytes  # noqa: PLC0415 (only for this rare case)

    best = from_bytes(head, cp_isolation=["utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be"])
    match = best.best()
    if match is None or not match.encoding.startswith(("utf_16", "utf_32")):
        return None
    return match.encoding.replace("_", "-")


def sniff_zip(data: bytes) -> tuple[str, str]:
    """Tell an Excel / OpenDocument workbook from other zip files."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = (
                zf.open("mimetype").read(200).decode("ascii", "replace")
                if "mimetype" in names
                else ""
            )
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError, EOFError):
        return "binary", "a damaged zip/Office file"
    if any(n.startswith("xl/workbook") for n in names):
        return "spreadsheet", "an Excel workbook"
    if "spreadsheet" in mimetype:
        return "spreadsheet", "an OpenDocument spreadsheet"
    if any(n.startswith("word/") for n in names):
        return "binary", "a Word document"
    if any(n.startswith("ppt/") for n in names):
        return "binary", "a PowerPoint presentation"
    return "binary", "a zip archive"


def _decodes(data: bytes, encoding: str) -> bool:
    """True if all of ``data`` decodes with ``encoding`` (chunked, bounded memory)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), CHUNK):
            decoder.decode(data[start : start + CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes) -> str:
    """The text encoding of an upload (see the module docstring for the order)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data[:4096]:
        wide = _wide_unicode(data[:HEAD_BYTES])
        if wide:
            return wide
    if _decodes(data, "utf-8"):
        return "utf-8"
    if _decodes(data, "cp1252"):
        return "cp1252"
    return "latin-1"


def head_text(data: bytes, encoding: str) -> str:
    """The first ~256 KB of the file as text (a cut multi-byte character is dropped)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(data[:HEAD_BYTES], final=len(data) <= HEAD_BYTES)
    return text.removeprefix("\ufeff")

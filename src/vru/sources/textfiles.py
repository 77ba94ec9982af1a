"""What a partner text file is: its encoding, line endings and delimiter, decided from its bytes.

Partners send what their systems write: UTF-8 with or without a byte-order mark, UTF-16 with a
BOM (Excel's "Unicode text"), Windows-1252 (Excel's default "CSV" on Windows), commas,
semicolons (a comma-decimal locale), tabs or pipes, and LF, CRLF or (old Mac exports) CR line
endings. Everything here looks at bytes and structure only: no message ever quotes a value.

The encoding is decided per file, once, over all of its bytes (while the checksum is computed):
- a UTF-8 or UTF-16 byte-order mark decides;
- otherwise bytes that are all valid UTF-8 are UTF-8;
- bytes that are not valid UTF-8 anywhere, with no valid multi-byte UTF-8 sequence either, are
  Windows-1252 (a superset of Latin-1's printable range);
- a file that mixes valid UTF-8 sequences with invalid bytes stays UTF-8, and only the rows
  holding the invalid bytes are rejected (naming the field);
- an explicit override (per import) wins over all of this.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass

from vru.sources.files import ImportRefused, InputFile

HEAD_BYTES = 1 << 16
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16 with BOM",
                  "cp1252": "Windows-1252"}
_SURROGATE = re.compile("[\udc80-\udcff]")
_NONASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")


@dataclass
class TextDigest:
    sha256: str
    size: int
    head: bytes           # the first HEAD_BYTES of the content
    utf8: str             # ascii | valid | invalid | mixed (for text without a UTF-16 BOM)


def digest(f: InputFile, text: bool) -> TextDigest:
    """Checksum and size of the decompressed content, and (for text) whether it is UTF-8."""
    h = hashlib.sha256()
    size = 0
    head = b""
    bad = good = 0
    dec = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    check = text
    try:
        with f.open_binary() as fh:
            while block := fh.read(1 << 20):
                h.update(block)
                if len(head) < HEAD_BYTES:
                    head += block[:HEAD_BYTES - len(head)]
                    if size == 0 and block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        check = False
                size += len(block)
                if check and not (block.isascii() and not dec.getstate()[0]):
                    s = dec.decode(block)
                    bad += len(_SURROGATE.findall(s))
                    good += len(_NONASCII.findall(s))
    except ImportRefused:
        raise
    except (OSError, EOFError) as exc:
        raise ImportRefused(f"{f.display}: cannot be read ({type(exc).__name__})") from None
    if check:
        s = dec.decode(b"", final=True)
        bad += len(_SURROGATE.findall(s))
    utf8 = ("ascii" if not bad and not good else "valid" if not bad
            else "invalid" if not good else "mixed")
    return TextDigest(h.hexdigest(), size, head, utf8)


def choose_encoding(f: InputFile, d: TextDigest, override: str | None) -> str:
    if override:
        try:
            return codecs.lookup(override).name
        except LookupError:
            raise ImportRefused(f"unknown encoding {override!r} (try utf-8, cp1252, utf-16)"
                                ) from None
    head = d.head
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        raise ImportRefused(f"{f.display}: holds NUL bytes: UTF-16 text without a byte-order "
                            "mark, or not a text file; save it as UTF-8 CSV, or import it with "
                            "--encoding utf-16-le")
    if d.utf8 == "invalid":
        return "cp1252"
    return "utf-8"


def decode_head(head: bytes, encoding: str) -> str:
    dec = codecs.getincrementaldecoder(encoding)("surrogateescape")
    text = dec.decode(head, final=False)
    return text.lstrip("\ufeff")


def line_endings(text: str) -> str:
    """LF, CRLF, CR or mixed, from the text of the file's head."""
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [k for k, n in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if n]
    return "LF" if not kinds else kinds[0] if len(kinds) == 1 else "mixed"


def first_record(text: str, delimiter: str) -> list[str] | None:
    try:
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None)
    except csv.Error:
        return None


def sniff_header(text: str, known: set[str], normalise) -> tuple[str, list[str]]:
    """(delimiter, header): the candidate delimiter whose header has the most known column
    names (then the most columns)."""
    best: tuple[int, int, str, list[str]] | None = None
    for d in DELIMITERS:
        row = first_record(text, d)
        if row is None:
            continue
        score = sum(1 for h in row if normalise(h) in known)
        if best is None or (score, len(row)) > (best[0], best[1]) and score > 0:
            best = (score, len(row), d, row)
    if best is None:
        return ",", []
    return best[2], best[3]


def describe(encoding: str) -> str:
    return ENCODING_NAMES.get(encoding, encoding)

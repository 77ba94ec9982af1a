"""What partners really send: a table of awkward partner files, with the exact outcome of each.

Every case builds one or more files (under a folder it is given) full of planted identifiers
(NHS numbers, PNC IDs, pupil numbers, a name and date of birth) and states what the import must
do: refuse (exit code, message fragments) or load (rows read/loaded/rejected, each reject's row,
field and reason, the encoding recorded, warnings, the files listed as not imported). The runner
(test_reliability.py) imports each through the CLI into a copy of a workspace that already holds
data, and checks the outcome, reconciliation, that nothing already loaded changed, and that no
planted identifier reaches the terminal, the logs or any byte of the workspace or temp folder.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.hub.samples import SAMPLES


# ----------------------------------------------------------------------------- planted values
def _nhs(serial: int) -> str:
    """A valid NHS number (modulus 11) from a serial."""
    n = 940_000_000 + serial
    while True:
        d = f"{n:09d}"
        total = sum(int(c) * w for c, w in zip(d, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return d + str(check)
        n += 1


NHS_IDS = [_nhs(7_123 + 97 * i) for i in range(5)]
PNC_IDS = [f"24/{3_456_700 + i}K" for i in range(5)]
UPN_IDS = ["Q123450987654", "R987650123456"]
FORENAME, SURNAME, DOB = "Zebedaya", "Quillfeather-Orme", "2008-04-17"
IDENTIFIERS = [*NHS_IDS, *PNC_IDS, *UPN_IDS, FORENAME, SURNAME]
MARKER = "Marker-Vlx83Q"   # free text in a damaged row: never in terminal output or logs

CLI = {"admissions": "admissions", "istv": "istv", "youth_justice": "youth-justice",
       "em_gps": "em-gps", "police_rms": "police-rms", "education": "education",
       "patrols": "patrols"}


def rows(source: str, n: int, kind: str | None = None) -> list[dict[str, str]]:
    """n good rows of a source's (first or named) contract, identifiers planted."""
    out = []
    for i in range(n):
        if source == "admissions":
            out.append(dict(SAMPLES["admissions"]["admissions"][0], nhs_number=NHS_IDS[i % 5]))
        elif source == "istv":
            # February: a different resubmission key from the workspace's January file.
            out.append(dict(SAMPLES["istv"]["assaults"][0], record_ref=f"R{i + 1}",
                            period_start="2024-02-01", period_end="2024-02-29",
                            arrival_datetime="2024-02-03 23:10", assault_datetime="2024-02-03 22:30",
                            location_description="outside the Crown, High St"))
        elif source == "youth_justice":
            base = SAMPLES["youth_justice"]["events"]
            if i % 2:
                out.append(dict(base[1], forename=FORENAME, surname=SURNAME, date_of_birth=DOB))
            else:
                out.append(dict(base[0], pnc_id=PNC_IDS[i % 5]))
        elif source == "em_gps":
            out.append(dict(SAMPLES["em_gps"]["pings"][0], person_id=PNC_IDS[i % 5],
                            ping_time=f"2024-01-03 {10 + i // 3600 % 10:02d}:{i // 60 % 60:02d}:"
                                      f"{i % 60:02d}"))
        elif source == "police_rms":
            out.append(dict(SAMPLES["police_rms"]["crimes"][0], crime_reference=f"BD/24/{i:05d}",
                            suspect_id=PNC_IDS[i % 5]))
        elif source == "education":
            out.append(dict(SAMPLES["education"]["exclusions"][0], upn=UPN_IDS[i % 2]))
        else:
            raise KeyError(source)
    return out


def csv_bytes(data: list[dict[str, str]], delimiter: str = ",", newline: str = "\n",
              encoding: str = "utf-8", trailing: bool = False,
              header: list[str] | None = None) -> bytes:
    header = header or list(data[0])
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    w.writerow(header + ([""] if trailing else []))
    for r in data:
        w.writerow([r.get(h, "") for h in header] + ([""] if trailing else []))
    return buf.getvalue().encode(encoding)


def lines(data: list[dict[str, str]]) -> list[str]:
    return csv_bytes(data).decode().splitlines()


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def zipped(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def workbook(path: Path, data: list[dict[str, str]], edit: Callable | None = None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    header = list(data[0])
    ws.append(header)
    for r in data:
        ws.append([r[h] or None for h in header])
    if edit is not None:
        edit(wb, ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ----------------------------------------------------------------------------- the cases
@dataclass
class Case:
    id: str
    source: str
    build: Callable[[Path], list[Path]]
    refused: bool = False
    message: tuple[str, ...] = ()       # fragments of the terminal output
    counts: tuple[int, int, int] | None = None   # rows read, loaded, rejected (all files)
    rejects: tuple[tuple[int, str | None, str], ...] = ()   # (row, field, reason start)
    encoding: str | None = "utf-8"      # recorded for every loaded file (None: not checked)
    warnings: tuple[str, ...] = ()      # fragments of source_files.warnings
    not_imported: tuple[str, ...] = ()  # fragments of imports.not_imported
    settings: dict[str, int] = field(default_factory=dict)   # imports.* overrides
    args: tuple[str, ...] = ()
    files: int = 1                      # files loaded


def _unclosed(source: str, n: int, at: int, value: str, damaged: str) -> Callable:
    def build(d: Path) -> list[Path]:
        data = rows(source, n)
        text = lines(data)
        # The damaged field opens a quote it never closes.
        text[at] = text[at].replace(value, damaged, 1)
        return [write(d / f"{source}.csv", ("\n".join(text) + "\n").encode())]
    return build


def _row_edit(source: str, n: int, edits: dict[int, Callable[[str], str]], name: str = "f.csv",
              encoding: str = "utf-8") -> Callable:
    def build(d: Path) -> list[Path]:
        text = lines(rows(source, n))
        for i, fn in edits.items():
            text[i] = fn(text[i])
        return [write(d / name, ("\n".join(text) + "\n").encode(encoding, "surrogateescape"))]
    return build


def _cp1252(source: str, n: int, column: str, value: str) -> Callable:
    def build(d: Path) -> list[Path]:
        data = rows(source, n)
        for r in data[1::2]:
            r[column] = value
        return [write(d / f"{source}-1252.csv", csv_bytes(data, encoding="cp1252"))]
    return build


def _form(source: str, n: int, **kw) -> Callable:
    def build(d: Path) -> list[Path]:
        enc = kw.pop("encoding", "utf-8")
        return [write(d / f"{source}.csv", csv_bytes(rows(source, n), encoding=enc, **kw))]
    return build


def _xlsx(source: str, n: int, edit: Callable, name: str = "book.xlsx") -> Callable:
    def build(d: Path) -> list[Path]:
        return [workbook(d / name, rows(source, n), edit)]
    return build


def _formula(wb, ws):
    ws["F3"] = "=E2+1"    # age (column F) of data row 2: a formula never calculated


def _merge_rows(wb, ws):
    ws.merge_cells("D3:D4")   # exclusion_type over data rows 2 and 3


def _merge_header(wb, ws):
    ws.merge_cells("A1:B1")


def _hidden_first(wb, ws):
    ws.title = "Data"
    extra = wb.create_sheet("Lookup", 0)
    extra.append(["code", "meaning"])
    extra.sheet_state = "hidden"


def _title_rows(wb, ws):
    ws.insert_rows(1, 2)
    ws["A1"] = "ED assaults, January 2024 (title)"


def _second_sheet(wb, ws):
    other = wb.create_sheet("Notes")
    other.append(["note"])
    other.append(["see the data sheet"])


def _ole(encrypted: bool) -> Callable:
    def build(d: Path) -> list[Path]:
        body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
        body += ("EncryptedPackage" if encrypted else "Workbook").encode("utf-16-le")
        body += b"\x00" * 2048
        return [write(d / "locked.xlsx", body)]
    return build


def _bomb_zip(d: Path) -> list[Path]:
    big = b"0" * (24 << 20)
    return [zipped(d / "bomb.zip", {"admissions.csv": csv_bytes(rows("admissions", 3)) + big})]


def _bomb_gz(d: Path) -> list[Path]:
    big = b"0" * (24 << 20)
    return [write(d / "bomb.csv.gz", gzip.compress(csv_bytes(rows("admissions", 3)) + big))]


def _random_members(count: int, per: int) -> Callable:
    def build(d: Path) -> list[Path]:
        import random

        rnd = random.Random(4)
        members = {}
        for i in range(count):
            data = rows("istv", per)
            for j, r in enumerate(data):
                r["record_ref"] = f"M{i}-{j}"
                r["location_description"] = "".join(rnd.choice("abcdefghij") for _ in range(500))
            members[f"m{i}.csv"] = csv_bytes(data)
        return [zipped(d / "many.zip", members)]
    return build


def _nested(depth: int) -> Callable:
    def build(d: Path) -> list[Path]:
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as zf:
            zf.writestr("2024/admissions.csv", csv_bytes(rows("admissions", 4)))
            if depth > 1:
                deeper = io.BytesIO()
                with zipfile.ZipFile(deeper, "w") as z2:
                    z2.writestr("more.csv", csv_bytes(rows("admissions", 2)))
                zf.writestr("deeper.zip", deeper.getvalue())
        return [zipped(d / "outer.zip", {"inner.zip": inner.getvalue(),
                                         "top.csv": csv_bytes(rows("admissions", 2))})]
    return build


def _members_with_junk(d: Path) -> list[Path]:
    good = csv_bytes(rows("istv", 3))
    return [zipped(d / "istv.zip", {"data/istv.csv": good, "data/readme.txt": b"notes",
                                    "data/old.xls": b"\xd0\xcf\x11\xe0", "__MACOSX/._istv.csv": b"x",
                                    "data/.DS_Store": b"x"})]


def _folder_with_system_files(d: Path) -> list[Path]:
    write(d / "in" / "istv.csv", csv_bytes(rows("istv", 3)))
    write(d / "in" / "~$istv.xlsx", b"lock")
    write(d / "in" / ".DS_Store", b"\x00\x00")
    write(d / "in" / "Thumbs.db", b"\x00")
    write(d / "in" / "notes.txt", b"ok")
    return [d / "in"]


def _lock_next_to_workbook(d: Path) -> list[Path]:
    workbook(d / "in" / "adm.xlsx", rows("admissions", 3))
    write(d / "in" / "~$adm.xlsx", b"\x08owner name\x00" * 10)
    return [d / "in"]


def _truncated_gz(d: Path) -> list[Path]:
    data = gzip.compress(csv_bytes(rows("admissions", 200)))
    return [write(d / "adm.csv.gz", data[: len(data) // 2])]


def _encrypted_zip(d: Path) -> list[Path]:
    p = zipped(d / "enc.zip", {"admissions.csv": csv_bytes(rows("admissions", 2))})
    raw = bytearray(p.read_bytes())
    # Set the "encrypted" flag bit in the local and central headers.
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = raw.find(sig)
        raw[i + off] |= 1
    p.write_bytes(bytes(raw))
    return [p]


def _xml(body: str) -> Callable:
    def build(d: Path) -> list[Path]:
        return [write(d / "istv.xml", body.encode())]
    return build


XML_OK = ("<ISTVSubmission><SubmissionHeader><ReportingPeriodStartDate>2024-02-01"
          "</ReportingPeriodStartDate><ReportingPeriodEndDate>2024-02-29</ReportingPeriodEndDate>"
          "<SiteCode>RC971</SiteCode></SubmissionHeader>"
          "<Assault><RecordReference>X1</RecordReference><ArrivalDateTime>2024-02-03T23:10"
          "</ArrivalDateTime><AssaultDateTime>2024-02-03T22:30</AssaultDateTime>"
          "<AssaultMethod>BODY</AssaultMethod><AssaultLocationType>STREET</AssaultLocationType>"
          "<AssaultLocationDescription>&name;</AssaultLocationDescription>"
          "</Assault></ISTVSubmission>")


def _utf16(source: str, n: int, le: bool, delimiter: str = "\t") -> Callable:
    def build(d: Path) -> list[Path]:
        text = csv_bytes(rows(source, n), delimiter=delimiter).decode()
        bom, enc = (codecs.BOM_UTF16_LE, "utf-16-le") if le else (codecs.BOM_UTF16_BE, "utf-16-be")
        return [write(d / f"{source}-unicode.csv", bom + text.encode(enc))]
    return build


def _same_content(d: Path) -> list[Path]:
    content = csv_bytes(rows("youth_justice", 6))
    write(d / "a" / "yj.csv", content)
    write(d / "a" / "yj.csv.gz", gzip.compress(content))
    zipped(d / "a" / "yj.zip", {"x/yj.csv": content})
    return [d / "a"]


REF_REASON = "unclosed or stray quote"

CASES: list[Case] = [
    # ------------------------------------------------------------------ encodings
    Case("cp1252-pound-admissions", "admissions", _cp1252("admissions", 6, "provider_code", "R\xa3"),
         counts=(6, 6, 0), encoding="cp1252"),
    Case("cp1252-accent-istv", "istv", _cp1252("istv", 64, "location_description", "caf\xe9 \u2019s"),
         counts=(64, 64, 0), encoding="cp1252"),
    Case("cp1252-accent-youth-justice", "youth_justice",
         _cp1252("youth_justice", 6, "offence_description", "\u00a3 knife \u2013 caf\xe9"),
         counts=(6, 6, 0), encoding="cp1252"),
    Case("cp1252-police-rms", "police_rms", _cp1252("police_rms", 6, "location", "Caf\xe9 \u20ac"),
         counts=(6, 6, 0), encoding="cp1252"),
    Case("ascii-is-utf8-pings", "em_gps", _cp1252("em_gps", 8, "accuracy_m", "8"),
         counts=(8, 8, 0), encoding="utf-8"),
    Case("utf8-bom", "admissions", _form("admissions", 4, encoding="utf-8-sig"),
         counts=(4, 4, 0), encoding="utf-8-sig"),
    Case("utf16-le-bom-tab", "istv", _utf16("istv", 5, le=True), counts=(5, 5, 0),
         encoding="utf-16"),
    Case("utf16-be-bom-comma", "em_gps", _utf16("em_gps", 5, le=False, delimiter=","),
         counts=(5, 5, 0), encoding="utf-16"),
    Case("utf16-no-bom", "admissions",
         lambda d: [write(d / "a.csv", csv_bytes(rows("admissions", 3)).decode().encode("utf-16-le"))],
         refused=True, message=("holds NUL bytes", "UTF-16 text without a byte-order mark")),
    Case("mixed-utf8-and-stray-byte", "admissions",
         _row_edit("admissions", 5, {1: lambda s: s.replace("RC9", "RC\u00e9"),
                                     3: lambda s: s.replace("RC9", "RC\udca3")}),
         counts=(5, 4, 1), rejects=((3, "provider_code", "bytes that are not UTF-8 text"),),
         warnings=("mixes UTF-8 text with bytes that are not UTF-8",)),
    Case("cp1252-undefined-byte", "youth_justice",
         _row_edit("youth_justice", 6, {3: lambda s: s.replace("Knife", "Kn\udc81fe")}),
         counts=(6, 5, 1), encoding="cp1252",
         rejects=((3, "offence_description", "bytes that are not Windows-1252 text"),)),
    Case("encoding-override", "istv", _cp1252("istv", 4, "location_description", "caf\xe9"),
         counts=(4, 4, 0), encoding="iso8859-1", args=("--encoding", "latin-1")),
    Case("encoding-override-unknown", "istv", _form("istv", 2), refused=True,
         args=("--encoding", "klingon"), message=("unknown encoding 'klingon'",)),
    # ------------------------------------------------------------------ quoting
    Case("unclosed-quote-istv-64", "istv",
         _unclosed("istv", 64, 20, '"outside the Crown, High St"',
                   f'"{MARKER} outside the Crown High St'),
         counts=(64, 63, 1), rejects=((20, None, REF_REASON),)),
    Case("unclosed-quote-pings-934", "em_gps",
         _unclosed("em_gps", 934, 100, "2024-01-03", f'"{MARKER} 2024-01-03'),
         counts=(934, 933, 1), rejects=((100, None, REF_REASON),)),
    Case("unclosed-quote-last-row", "admissions",
         _unclosed("admissions", 5, 5, "2024-01-04", f'"{MARKER} 2024-01-04'),
         counts=(5, 4, 1), rejects=((5, None, "malformed quoting (line 6 of the file)"),)),
    Case("unclosed-quote-twice", "youth_justice",
         _row_edit("youth_justice", 10, {2: lambda s: s.replace("2024-", '"2024-', 1),
                                         7: lambda s: s.replace("2024-", '"2024-', 1)}),
         counts=(10, 8, 2), rejects=((2, None, REF_REASON), (7, None, REF_REASON))),
    Case("quote-inside-unquoted-field", "istv",
         _row_edit("istv", 4, {2: lambda s: s.replace('"outside the Crown, High St"',
                                                        'outside ""the Crown"" High St')}),
         counts=(4, 4, 0)),
    Case("multi-line-quoted-field", "istv",
         _row_edit("istv", 4, {2: lambda s: s.replace("outside the Crown,", "outside\nthe Crown,")}),
         counts=(4, 4, 0)),
    Case("text-after-closing-quote", "police_rms",
         _row_edit("police_rms", 4, {2: lambda s: s.replace(",High St,", ',"High" St,')}),
         counts=(4, 3, 1), rejects=((2, None, "malformed quoting (line 3 of the file)"),)),
    # ------------------------------------------------------------------ compressed input
    Case("zip-bomb-ratio", "admissions", _bomb_zip, refused=True,
         message=("bomb.zip!admissions.csv", "imports.max_compression_ratio", "zip bomb")),
    Case("gzip-bomb-ratio", "admissions", _bomb_gz, refused=True,
         message=("bomb.csv.gz", "imports.max_compression_ratio")),
    Case("zip-over-size-limit", "istv", _random_members(3, 1_000), refused=True,
         settings={"max_uncompressed_mb": 1}, message=("many.zip", "imports.max_uncompressed_mb")),
    Case("zip-too-many-members", "istv", _random_members(6, 2), refused=True,
         settings={"max_archive_members": 5}, message=("many.zip: 6 entries",
                                                       "imports.max_archive_members")),
    Case("nested-zip-one-level", "admissions", _nested(1), counts=(6, 6, 0), files=2),
    Case("nested-zip-two-levels", "admissions", _nested(2), counts=(6, 6, 0), files=2,
         not_imported=("inner.zip!deeper.zip: ZIP nested more than one level",)),
    Case("zip-members-not-csv", "istv", _members_with_junk, counts=(3, 3, 0),
         not_imported=("data/readme.txt: not a supported file type (.txt",
                       "data/old.xls: Excel 97-2003 .xls workbook, not read",
                       "__MACOSX/._istv.csv: system file", "data/.DS_Store: system file")),
    Case("truncated-gzip", "admissions", _truncated_gz, refused=True,
         message=("adm.csv.gz: truncated compressed data",)),
    Case("corrupt-zip", "admissions", lambda d: [write(d / "x.zip", b"PK\x03\x04garbage")],
         refused=True, message=("x.zip: not a readable ZIP archive",)),
    Case("encrypted-zip-member", "admissions", _encrypted_zip, refused=True,
         message=("enc.zip!admissions.csv: the member is password-protected",)),
    Case("gz-member-in-zip", "em_gps",
         lambda d: [zipped(d / "p.zip", {"p.csv.gz": gzip.compress(csv_bytes(rows("em_gps", 7)))})],
         counts=(7, 7, 0)),
    # ------------------------------------------------------------------ Excel
    Case("xlsx-formula-without-value", "admissions", _xlsx("admissions", 4, _formula),
         counts=(4, 3, 1), encoding=None,
         rejects=((2, "age", "sheet 'Data' cell F3: formula with no saved value"),)),
    Case("xlsx-merged-cells", "education", _xlsx("education", 4, _merge_rows), counts=(4, 3, 1),
         encoding=None, rejects=((3, "exclusion_type", "sheet 'Data' cell D4: in merged cells D3:D4"),)),
    Case("xlsx-merged-header", "education", _xlsx("education", 2, _merge_header), refused=True,
         message=("sheet 'Data' cells A1:B1 are merged in the header row",)),
    Case("xlsx-hidden-sheet", "admissions", _xlsx("admissions", 3, _hidden_first), counts=(3, 3, 0),
         encoding=None, warnings=("sheet 'Lookup' is hidden and was not read",)),
    Case("xlsx-title-rows", "istv", _xlsx("istv", 3, _title_rows), counts=(3, 3, 0), encoding=None,
         warnings=("sheet 'Data': the header is on row 3 (cell A3); 2 title row(s)",)),
    Case("xlsx-second-sheet", "em_gps", _xlsx("em_gps", 3, _second_sheet), counts=(3, 3, 0),
         encoding=None, warnings=("sheet 'Notes' was not read",)),
    Case("xlsx-password-protected", "admissions", _ole(True), refused=True,
         message=("locked.xlsx: the workbook is password-protected",)),
    Case("xls-renamed-xlsx", "admissions", _ole(False), refused=True,
         message=("locked.xlsx: an Excel 97-2003 (.xls) workbook",)),
    Case("xlsx-lock-file", "admissions", _lock_next_to_workbook, counts=(3, 3, 0), encoding=None,
         not_imported=("~$adm.xlsx: Office lock file",)),
    Case("system-files-in-folder", "istv", _folder_with_system_files, counts=(3, 3, 0),
         not_imported=("~$istv.xlsx: Office lock file", ".DS_Store: system file",
                       "Thumbs.db: system file", "notes.txt: not a supported file type")),
    Case("xlsx-corrupt", "admissions", lambda d: [write(d / "a.xlsx", b"PK\x03\x04 no")],
         refused=True, message=("a.xlsx: not a readable Excel .xlsx workbook",)),
    # ------------------------------------------------------------------ delimiters, line ends
    Case("semicolon", "admissions", _form("admissions", 4, delimiter=";"), counts=(4, 4, 0)),
    Case("tab", "istv", _form("istv", 4, delimiter="\t"), counts=(4, 4, 0)),
    Case("pipe", "em_gps", _form("em_gps", 4, delimiter="|"), counts=(4, 4, 0)),
    Case("semicolon-police-rms", "police_rms", _form("police_rms", 3, delimiter=";"),
         counts=(3, 3, 0)),
    Case("cr-line-endings", "admissions", _form("admissions", 4, newline="\r"), counts=(4, 4, 0)),
    Case("crlf-line-endings", "youth_justice", _form("youth_justice", 4, newline="\r\n"),
         counts=(4, 4, 0)),
    Case("mixed-line-endings", "police_rms",
         _row_edit("police_rms", 4, {1: lambda s: s + "\r"}), counts=(4, 4, 0)),
    Case("trailing-delimiter", "istv", _form("istv", 4, trailing=True), counts=(4, 4, 0)),
    Case("trailing-delimiter-semicolon", "education",
         _form("education", 3, trailing=True, delimiter=";"), counts=(3, 3, 0)),
    Case("unknown-delimiter", "admissions", _form("admissions", 3, delimiter=":"), refused=True,
         message=("the header reads as one column", "comma, semicolon, tab or pipe")),
    # ------------------------------------------------------------------ structure
    Case("ragged-row-too-many", "em_gps", _row_edit("em_gps", 5, {2: lambda s: s + ",x"}),
         counts=(5, 4, 1), rejects=((2, None, "row has 6 fields, expected 5"),)),
    Case("ragged-row-too-few", "education",
         _row_edit("education", 4, {3: lambda s: s.rsplit(",", 2)[0]}), counts=(4, 3, 1),
         rejects=((3, None, "row has 6 fields, expected 8"),)),
    Case("blank-lines", "istv", _row_edit("istv", 4, {2: lambda s: "\n\n" + s}), counts=(4, 4, 0)),
    Case("empty-file", "admissions", lambda d: [write(d / "a.csv", b"")], refused=True,
         message=("a.csv: empty file",)),
    Case("whitespace-only-file", "admissions", lambda d: [write(d / "a.csv", b"  \n \n")],
         refused=True, message=("a.csv: empty file",)),
    Case("header-only", "admissions",
         lambda d: [write(d / "a.csv", csv_bytes(rows("admissions", 1)).split(b"\n")[0] + b"\n")],
         counts=(0, 0, 0)),
    Case("duplicated-column", "youth_justice",
         lambda d: [write(d / "a.csv", b"pnc_id,event_type,Event Type,event_date,age\n")],
         refused=True, message=("duplicated columns: event_type",)),
    Case("column-not-in-contract", "admissions",
         lambda d: [write(d / "a.csv", csv_bytes([dict(r, maiden_name=SURNAME)
                                                   for r in rows("admissions", 2)]))],
         refused=True, message=("columns not in the contract: maiden_name",)),
    Case("missing-required-column", "em_gps",
         lambda d: [write(d / "a.csv", csv_bytes([{k: v for k, v in r.items() if k != "ping_time"}
                                                   for r in rows("em_gps", 2)]))],
         refused=True, message=("missing required columns: ping_time",)),
    Case("nul-byte-in-cell", "admissions",
         _row_edit("admissions", 3, {2: lambda s: s.replace("RC9", "R\x00C9")}), counts=(3, 3, 0)),
    Case("very-long-field", "istv",
         _row_edit("istv", 3, {2: lambda s: s.replace("outside the Crown, High St", "x" * 200_000)}),
         counts=(3, 2, 1), rejects=((2, "location_description",
                                      "location_description: longer than 500 characters"),)),
    Case("quoted-header-names-with-bom-and-spaces", "police_rms",
         lambda d: [write(d / "a.csv", b"\xef\xbb\xbf" + b",".join(
             b'" ' + h.encode() + b' "' for h in rows("police_rms", 1)[0]) + b"\n"
             + csv_bytes(rows("police_rms", 3)).split(b"\n", 1)[1])],
         counts=(3, 3, 0), encoding="utf-8-sig"),
    Case("same-content-csv-gz-zip", "youth_justice", _same_content, counts=(6, 6, 0)),
    # ------------------------------------------------------------------ ISTV XML
    Case("xml-with-dtd", "istv",
         _xml('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY name "' + MARKER + '">]>' + XML_OK),
         refused=True, message=("istv.xml: has a DTD (<!DOCTYPE>)",)),
    Case("xml-external-entity", "istv",
         _xml('<!DOCTYPE r [<!ENTITY name SYSTEM "file:///etc/passwd">]>' + XML_OK),
         refused=True, message=("istv.xml: has a DTD (<!DOCTYPE>)",)),
    Case("xml-not-well-formed", "istv", _xml(XML_OK.replace("&name;", "x")[:-20]), refused=True,
         message=("istv.xml: not well-formed XML",)),
    Case("xml-ok", "istv", _xml(XML_OK.replace("&name;", "by the bus stop")), counts=(1, 1, 0),
         encoding=None),
]

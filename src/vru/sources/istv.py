"""Emergency department assaults: ISTV (Information Sharing to Tackle Violence, NHS ISB 1594).

Contract: docs/guide/hub-istv.md. CSV / XLSX with one row per assault (the submission header
fields repeated on every row), or the ISTV XML form (one ``SubmissionHeader``, many ``Assault``).
A later submission for the same site and reporting period replaces the earlier one.
Records without a usable location are kept (flag ``no_location``, geo_method ``none``): they
still count at site level.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lxml import etree

from vru.engine import DUCKDB as SQL
from vru.geo.grid import cell_sql
from vru.sources.contract import (
    GB_LONLAT_CHECKS,
    Check,
    Column,
    Contract,
    Flag,
    LoadContext,
    RetentionTarget,
    Source,
    inserted,
    project_bng,
)
from vru.sources.files import ImportRefused, InputFile

ASSAULT_METHODS = ("BODY", "BLUNT", "SHARP", "GLASS", "FIREARM", "OTHER", "UNKNOWN")
LOCATION_TYPES = ("HOME", "STREET", "PUB_CLUB", "SHOP", "SCHOOL", "WORKPLACE", "TRANSPORT",
                  "PARK", "OTHER", "UNKNOWN")
AGE_BANDS = ("0-9", "10-14", "15-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
SEXES = ("M", "F", "X", "U")

COLUMNS = (
    Column("site_code", "text", True, max_length=12,
           description="ODS site code of the treating emergency department, e.g. RC971"),
    Column("period_start", "date", True, description="reporting period start date"),
    Column("period_end", "date", True, description="reporting period end date"),
    Column("record_ref", "text", max_length=64,
           description="the department's own non-identifying record reference (unique per file)"),
    Column("arrival_datetime", "datetime", True, description="arrival date and time at the ED"),
    Column("assault_datetime", "datetime", True, description="assault date and time"),
    Column("assault_method", "code", True, ASSAULT_METHODS, description="assault method"),
    Column("assault_method_other", "text", max_length=200,
           description="describes the method; required when assault_method is OTHER"),
    Column("location_type", "code", True, LOCATION_TYPES, description="assault location type"),
    Column("location_description", "text", max_length=500,
           description="assault location description, free text (e.g. 'outside Bar X, High St')"),
    Column("age_band", "code", codes=AGE_BANDS, description="patient age band"),
    Column("sex", "code", codes=SEXES, description="M, F, X (other) or U (not known)"),
    Column("longitude", "decimal", description="WGS84 longitude, if the partner geocoded it"),
    Column("latitude", "decimal", description="WGS84 latitude, if the partner geocoded it"),
    Column("postcode", "postcode", description="postcode of the assault location, if known"),
    Column("lsoa_code", "lsoa", description="LSOA of the assault location, if known"),
)

CHECKS = (
    Check("site_code", "NOT " + SQL.regex_full_match("upper(v_site_code)", "[A-Z0-9]{3,9}"),
          "not an ODS site code (3-9 letters/digits)"),
    Check("period_end", "v_period_end < v_period_start", "reporting period ends before it starts"),
    Check("arrival_datetime",
          "v_arrival_datetime < v_period_start "
          "OR v_arrival_datetime >= v_period_end + INTERVAL 1 DAY",
          "arrival is outside the reporting period"),
    Check("assault_datetime", "v_assault_datetime > v_arrival_datetime",
          "assault is after arrival at the ED"),
    Check("assault_method_other",
          "v_assault_method = 'OTHER' AND v_assault_method_other IS NULL",
          "required when assault_method is OTHER"),
    *GB_LONLAT_CHECKS,
)

FLAGS = (
    Flag("no_location", "v_longitude IS NULL AND v_postcode IS NULL AND v_lsoa_code IS NULL"),
    Flag("late_presentation", "v_arrival_datetime - v_assault_datetime > INTERVAL 7 DAY"),
)


def _load(ctx: LoadContext) -> int:
    project_bng(ctx.con)
    ce, cn = cell_sql("x.easting", "x.northing", ctx.settings.grid)
    return inserted(ctx.con, f"""
        INSERT INTO ed_assaults
        SELECT upper(v_site_code), v_period_start, v_period_end, v_record_ref,
               v_arrival_datetime, v_assault_datetime, v_assault_method, v_assault_method_other,
               v_location_type, v_location_description, v_age_band, v_sex,
               v_longitude, v_latitude, x.easting, x.northing, {ce}, {cn},
               v_postcode, v_lsoa_code,
               CASE WHEN v_longitude IS NOT NULL THEN 'coordinates'
                    WHEN v_postcode IS NOT NULL THEN 'postcode'
                    WHEN v_lsoa_code IS NOT NULL THEN 'lsoa' ELSE 'none' END,
               flags, o.file_id, o.row_number, ?
        FROM hub_ok o LEFT JOIN hub_xy x USING (file_id, row_number)""",
        [ctx.import_id])


ASSAULTS = Contract(
    source="istv", kind="assaults", title="ED assault attendances (ISTV)",
    columns=COLUMNS, load=_load, checks=CHECKS, flags=FLAGS, unique=("record_ref",),
    retention=(RetentionTarget("ed_assaults", "arrival_at"),),
    partition="'istv/' || upper(v_site_code) || '/' || v_period_start || '/' || v_period_end",
)

# ----------------------------------------------------------------------------- the XML form
XML_HEADER = {
    "ReportingPeriodStartDate": "period_start",
    "ReportingPeriodEndDate": "period_end",
    "SiteCode": "site_code",
}
XML_ASSAULT = {
    "RecordReference": "record_ref",
    "ArrivalDateTime": "arrival_datetime",
    "AssaultDateTime": "assault_datetime",
    "AssaultMethod": "assault_method",
    "AssaultMethodOtherDescription": "assault_method_other",
    "AssaultLocationType": "location_type",
    "AssaultLocationDescription": "location_description",
    "AgeBand": "age_band",
    "Sex": "sex",
    "Longitude": "longitude",
    "Latitude": "latitude",
    "Postcode": "postcode",
    "LsoaCode": "lsoa_code",
}
XML_COLUMNS = [*XML_HEADER.values(), *XML_ASSAULT.values()]


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _iterparse(f: InputFile):
    fh = f.open_binary()
    # No DTDs, no entity expansion, no network: partner XML is untrusted input.
    return fh, etree.iterparse(fh, events=("end",), resolve_entities=False, no_network=True,
                               load_dtd=False, huge_tree=False, remove_comments=True)


def read_istv_xml(f: InputFile, contract: Contract
                  ) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The ISTV XML form as contract columns: (header, rows). Checks the root element now."""
    fh = f.open_binary()
    try:
        head = fh.read(4096)
    finally:
        fh.close()
    if b"<!doctype" in head.lower():
        raise ImportRefused(f"{f.display}: has a DTD (<!DOCTYPE>), which an ISTV submission must "
                            "not have (entities could pull in other files); remove it and import "
                            "again")
    if b"ISTVSubmission" not in head:
        raise ImportRefused(f"{f.display}: not an ISTV XML submission (no ISTVSubmission element)")
    return list(XML_COLUMNS), _rows(f)


def _children(f: InputFile, el: Any, known: dict[str, str], where: str) -> dict[str, str | None]:
    """An element's child elements as {contract column: trimmed text}; the element is then
    cleared (the parse stays streaming). An element the form does not know refuses the file."""
    out: dict[str, str | None] = {}
    for child in el:
        name = _local(child.tag)
        if name not in known:
            raise ImportRefused(f"{f.display}: unknown element {name!r} in {where}")
        out[known[name]] = (child.text or "").strip() or None
    el.clear()
    return out


def _rows(f: InputFile) -> Iterator[tuple[int, list[Any]]]:
    header: dict[str, str | None] = {}
    n = 0
    fh, events = _iterparse(f)
    try:
        for _event, el in events:
            tag = _local(el.tag)
            if tag == "SubmissionHeader":
                header.update(_children(f, el, XML_HEADER, "SubmissionHeader"))
            elif tag == "Assault":
                n += 1
                if not header:
                    raise ImportRefused(f"{f.display}: Assault before the SubmissionHeader")
                values = {**header, **_children(f, el, XML_ASSAULT, f"Assault number {n}")}
                yield n, [values.get(c) for c in XML_COLUMNS]
    except etree.XMLSyntaxError as exc:
        raise ImportRefused(f"{f.display}: not well-formed XML (line {exc.lineno})") from None
    finally:
        fh.close()


ISTV = Source(
    name="istv", title="Emergency department assaults (ISTV)", contracts=(ASSAULTS,),
    extra_readers={".xml": ("assaults", read_istv_xml)},
)

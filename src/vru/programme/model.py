"""The programme model: code lists, money in pence, providers and interventions.

Money is whole pence (``int``) everywhere; amounts typed by people (``"1,250.50"``, ``"£300"``)
or read from files are parsed with ``Decimal`` and must have at most two decimal places. Floats
are refused: a float cannot hold most amounts of money exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from vru.errors import VruError
from vru.programme import toolkit
from vru.workspace import Workspace

T = TypeVar("T")

PREVENTION_LEVELS = ("primary", "secondary", "tertiary")
DELIVERY = ("one_to_one", "group", "universal")
SETTINGS_ = ("community", "school", "custody", "hospital", "online", "other")
SEXES = ("M", "F", "X", "U")
ETHNICITIES = ("WHITE", "MIXED", "ASIAN", "BLACK", "OTHER", "UNKNOWN")
AGE_BANDS = ((0, 9, "0-9"), (10, 13, "10-13"), (14, 17, "14-17"), (18, 21, "18-21"),
             (22, 25, "22-25"), (26, 200, "26+"))
AGE_BAND_LABELS = tuple(b[2] for b in AGE_BANDS) + ("unknown",)
PROVIDER_KINDS = ("charity", "local_authority", "police", "nhs", "school", "other")


class ProgrammeError(VruError, ValueError):
    """A programme or ledger request that cannot be done, with a message the user can act on."""


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for lo, hi, label in AGE_BANDS:
        if lo <= age <= hi:
            return label
    return "unknown"


def age_band_sql(col: str) -> str:
    parts = " ".join(f"WHEN {col} BETWEEN {lo} AND {hi} THEN '{lab}'" for lo, hi, lab in AGE_BANDS)
    return f"(CASE {parts} ELSE 'unknown' END)"


# ------------------------------------------------------------------------------------ money
_MONEY_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")


def pence(value: Decimal | int | str) -> int:
    """Pounds (Decimal, int or text such as '£1,250.50') -> whole pence. Floats are refused."""
    if isinstance(value, bool | float):
        raise ProgrammeError("money must be given as text, an integer or a Decimal, not a float")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, Decimal):
        d = value
    else:
        text = str(value).strip().replace(",", "").replace("£", "").replace(" ", "")
        if not _MONEY_RE.match(text):
            raise ProgrammeError(f"not an amount of money in pounds: {value!r}")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise ProgrammeError(f"not an amount of money in pounds: {value!r}") from None
    if d != d.quantize(Decimal("0.01")):
        raise ProgrammeError(f"more than two decimal places (pence): {value!r}")
    return int(d * 100)


def pounds(p: int | None) -> Decimal | None:
    return None if p is None else (Decimal(int(p)) / 100).quantize(Decimal("0.01"))


def gbp(p: int | None) -> str:
    """'£1,234.56' (negative as '-£...')."""
    if p is None:
        return ""
    sign = "-" if p < 0 else ""
    whole, pp = divmod(abs(int(p)), 100)
    return f"{sign}£{whole:,}.{pp:02d}"


# ------------------------------------------------------------------------------------ providers
def provider_id(con, name: str, kind: str | None = None, create: bool = True) -> int:
    name = (name or "").strip()
    if not name:
        raise ProgrammeError("a provider needs a name")
    row = con.execute("SELECT provider_id FROM prog_providers WHERE name = ?", [name]).fetchone()
    if row:
        return int(row[0])
    if not create:
        raise ProgrammeError(f"unknown provider {name!r}")
    if kind is not None and kind not in PROVIDER_KINDS:
        raise ProgrammeError(f"provider kind must be one of {', '.join(PROVIDER_KINDS)}")
    pid = con.execute("SELECT nextval('prog_provider_seq')").fetchone()[0]
    con.execute("INSERT INTO prog_providers VALUES (?, ?, ?, ?)", [pid, name, kind, datetime.now()])
    return int(pid)


@dataclass
class Intervention:
    code: str
    name: str
    theme: str
    prevention_level: str
    yef_strand: str
    provider: str
    areas: list[str]
    start_date: date
    end_date: date | None = None
    capacity: int | None = None
    cost_per_place: Decimal | int | str | None = None   # pounds
    delivery: str = "one_to_one"
    setting: str | None = None
    evaluation_status: str | None = None
    toolkit_version: str = toolkit.CURRENT


def add_intervention(ws: Workspace, iv: Intervention, con=None) -> int:
    """Check and store an intervention; returns its id. Refuses a theme outside the workspace's
    list, an unknown YEF strand, a bad level or delivery, an end before the start."""
    problems = []
    if not iv.code.strip() or not iv.name.strip():
        problems.append("code and name are required")
    if iv.theme not in ws.settings.programme.themes:
        problems.append(f"theme {iv.theme!r} is not one of the workspace's themes "
                        f"({'; '.join(ws.settings.programme.themes)})")
    if iv.prevention_level not in PREVENTION_LEVELS:
        problems.append(f"prevention level must be one of {', '.join(PREVENTION_LEVELS)}")
    if iv.toolkit_version not in toolkit.STRANDS:
        problems.append(f"unknown YEF Toolkit version {iv.toolkit_version!r}")
    elif iv.yef_strand not in toolkit.strands(iv.toolkit_version):
        problems.append(f"{iv.yef_strand!r} is not a YEF Toolkit strand "
                        f"(see `vru programme toolkit`)")
    if iv.delivery not in DELIVERY:
        problems.append(f"delivery must be one of {', '.join(DELIVERY)}")
    if iv.setting is not None and iv.setting not in SETTINGS_:
        problems.append(f"setting must be one of {', '.join(SETTINGS_)}")
    if iv.end_date is not None and iv.end_date < iv.start_date:
        problems.append("end date before start date")
    if iv.capacity is not None and iv.capacity < 0:
        problems.append("capacity cannot be negative")
    areas = [a.strip() for a in iv.areas if a and a.strip()]
    if not areas:
        problems.append("at least one area served is required")
    cost = None
    if iv.cost_per_place is not None and iv.cost_per_place != "":
        try:
            cost = pence(iv.cost_per_place)
        except ProgrammeError as exc:
            problems.append(f"cost per place: {exc}")
        else:
            if cost < 0:
                problems.append("cost per place cannot be negative")
    if problems:
        raise ProgrammeError(f"intervention {iv.code!r}: " + "; ".join(problems))

    def _insert(c) -> int:
        if c.execute("SELECT 1 FROM prog_interventions WHERE code = ?", [iv.code]).fetchone():
            raise ProgrammeError(f"an intervention with code {iv.code!r} already exists")
        prov = provider_id(c, iv.provider)
        iid = int(c.execute("SELECT nextval('prog_intervention_seq')").fetchone()[0])
        c.execute("INSERT INTO prog_interventions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                  "?, ?, ?, ?)",
                  [iid, iv.code.strip(), iv.name.strip(), iv.theme, iv.prevention_level,
                   iv.yef_strand, iv.toolkit_version, iv.setting, iv.delivery, prov, areas,
                   iv.start_date, iv.end_date, iv.capacity, cost, iv.evaluation_status,
                   datetime.now()])
        return iid

    return in_transaction(ws, con, _insert)


def in_transaction(ws: Workspace, con, fn: Callable[[Any], T]) -> T:
    """``fn(con)`` inside the caller's transaction ``con`` if given, else in a new one of ``ws``
    (so that a write can join a larger transaction, e.g. a whole return's import)."""
    if con is not None:
        return fn(con)
    with ws.transaction() as c:
        return fn(c)


def intervention_by_code(ws_or_con, code: str) -> int:
    con = ws_or_con.reader() if isinstance(ws_or_con, Workspace) else ws_or_con
    row = con.execute("SELECT intervention_id FROM prog_interventions WHERE code = ?",
                      [code]).fetchone()
    if not row:
        raise ProgrammeError(f"no intervention with code {code!r}")
    return int(row[0])

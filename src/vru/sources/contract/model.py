"""The contract model: what a source declares (public, stable: other modules build on it).

A *contract* describes one kind of partner file: its columns (:class:`Column`, with types,
required fields, code lists, ranges), the identifier columns replaced by pseudonyms at the door
(:class:`Identifier`), cross-field rules (:class:`Check`), kept-but-noted conditions
(:class:`Flag`), uniqueness, resubmission (``partition``) and loaded-once (:class:`Once`) keys,
retention targets, and a loader that maps validated rows onto canonical tables. A
:class:`Source` groups the contracts of one partner and any extra file forms it reads.

Adding a field to these dataclasses must keep a default, so that every existing contract
still builds: sources declare contracts as data and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

from vru.privacy import agreements
from vru.settings import Settings
from vru.sources.files import InputFile

TYPES = ("text", "int", "decimal", "date", "datetime", "code", "bool", "lsoa", "postcode",
         "icd10", "time", "id")

# ================================================================================ the contract
@dataclass(frozen=True)
class Column:
    """One input column. ``type='id'`` columns are identifiers: consumed by an Identifier and
    never stored (only their pseudonym is)."""

    name: str
    type: str = "text"
    required: bool = False
    codes: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    future_ok: bool = False         # dates/datetimes: allow values after today
    description: str = ""
    trim: bool = True               # False: kept as published (only an empty field is NULL)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")


@dataclass(frozen=True)
class MatchKeys:
    """Quasi-identifier columns turned into linkage match features at the door (record
    linkage, docs/guide/linkage.md). The raw columns are ``type='id'`` (never stored); the
    engine writes one ``match_features`` row per valid row (keyed HMAC features only).

    ``date_column`` names the row's event date (typed, ``v_<column>``) kept for retention;
    ``sex`` and ``home_lsoa`` name stored (typed) columns; ``pid`` the row's own pseudonym
    column (several: the first that is not NULL).

    A row may carry more than one person (a crime's suspect and its victim): a contract then
    lists several MatchKeys, each after the first with a ``role`` ('victim'), and each person
    is a record of its own (docs/guide/linkage.md, "Match keys at the door"). ``kept`` is SQL
    over ``m`` (a match_features row), true while the record's row is still stored (default:
    the contract's first retention table has its file_id and row_number)."""

    forename: str = "forename"
    surname: str = "surname"
    date_of_birth: str = "date_of_birth"
    postcode: str = "postcode"
    sex: str | None = "sex"
    home_lsoa: str | None = "lsoa_code"
    date_column: str | None = None
    pid: str | tuple[str, ...] | None = None
    role: str | None = None
    kept: str | None = None

    @property
    def raw(self) -> tuple[str, str, str, str]:
        return (self.forename, self.surname, self.date_of_birth, self.postcode)


def quasi_identifier_columns(keys: MatchKeys, existing: tuple[Column, ...] = ()
                             ) -> tuple[Column, ...]:
    """The optional raw quasi-identifier columns a contract gains for ``keys`` (those it does
    not already have)."""
    have = {c.name for c in existing}
    what = {keys.forename: "forename", keys.surname: "surname",
            keys.date_of_birth: "date of birth YYYY-MM-DD or DD/MM/YYYY",
            keys.postcode: "home postcode"}
    return tuple(Column(n, "id", description=f"{d} for record linkage (turned into keyed match "
                                           "features at import, never stored)")
                 for n, d in what.items() if n not in have)


@dataclass(frozen=True)
class Identifier:
    """Identifier columns replaced by one pseudonym column at import."""

    name: str                       # pseudonym column in staging/canonical tables, e.g. patient_pid
    kind: str                       # nhs_number | upn | pnc_id | name_dob
    columns: tuple[str, ...]        # the raw input columns it consumes
    required: bool = False


@dataclass(frozen=True)
class Check:
    """A cross-field rule: ``bad`` is SQL over typed values (``v_<column>``), true for a bad row.
    (A streaming source's checks read the columns' text by name instead: ``"Crime ID"``.)
    ``detail``: SQL for the offending value, shown after the reason (``reason: value``)."""

    field: str
    bad: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Flag:
    """A kept-but-noted condition (SQL over typed values) recorded in the row's ``flags``."""

    name: str
    when: str


@dataclass(frozen=True)
class RetentionTarget:
    """Where a kind's rows live, and which date retention counts from."""

    table: str
    date_column: str
    where: str = "TRUE"


@dataclass(frozen=True)
class Once:
    """A key that may be loaded only once across files: a row whose (typed, non-empty) ``column``
    value is already stored (``stored``: SQL selecting the stored keys), or is loaded by an
    earlier file of the same import, is rejected with ``reason``.

    The engine evaluates it, not a ``Check``: in a batch the earlier files' rows are not stored
    yet, so the rule is applied to them too (a row is rejected when an earlier file has a valid
    row with the same key), exactly as if the files were imported one after the other. It is
    reported last among a row's problems and documented with the row rules."""

    column: str
    stored: str
    reason: str


@dataclass
class LoadContext:
    """What a loader gets, once per batch (one or more files with the same contract and header).

    The loader contract: insert every row of the temp view ``hub_ok`` (the batch's valid rows)
    into the canonical table(s) and return the number of rows stored (the engine refuses a
    count that differs). ``hub_ok`` holds ``file_id`` and ``row_number`` (1 = first data row of
    that file), the typed values ``v_<column>``, the pseudonym columns and ``flags``; store the
    row's own ``file_id`` and ``row_number`` (provenance) and ``import_id`` from here.
    ``project_bng`` / ``project_lonlat`` make the table ``hub_xy`` keyed by
    ``(file_id, row_number)``: join it ``USING (file_id, row_number)``. ``hub_ok`` and
    ``hub_xy`` are in memory (Arrow) for the loader's statements only: copy what is needed
    into a temp table of the loader's own if it must outlive the loader.
    """

    con: duckdb.DuckDBPyConnection
    import_id: int
    settings: Settings
    agreement: agreements.Agreement | None   # None for open data (Source.open_data)


Loader = Callable[[LoadContext], int]


@dataclass(frozen=True)
class Contract:
    source: str
    kind: str
    title: str
    columns: tuple[Column, ...]
    load: Loader
    retention: tuple[RetentionTarget, ...]
    identifiers: tuple[Identifier, ...] = ()
    checks: tuple[Check, ...] = ()
    flags: tuple[Flag, ...] = ()
    unique: tuple[str, ...] = ()    # columns that must be unique within a file
    partition: str | None = None    # SQL key: a later file with the same key replaces the earlier
    once: Once | None = None        # a key loaded only once, across files and imports
    # Columns outside the contract: "refuse" the file (partner data: an unexpected column may
    # hold identifiers nobody agreed to share) or "ignore" them with a warning (open data).
    extra_columns: str = "refuse"
    guide: str = ""                 # the contract's user guide page (default: the source's)
    # A reject's reason: every failed rule as "field: reason" (partner files), or as "reason"
    # alone (data.police.uk, whose published reasons name the field themselves).
    reasons_name_field: bool = True
    # quasi-identifiers -> match_features (record linkage); several when a row has several people
    match_keys: MatchKeys | tuple[MatchKeys, ...] | None = None

    def __post_init__(self) -> None:
        if self.extra_columns not in ("refuse", "ignore"):
            raise ValueError(f"{self.source}/{self.kind}: extra_columns must be refuse or ignore")
        if self.once is not None and self.partition is not None:
            # Replacements are applied after the batches are loaded; a replaced file's keys
            # would still count as loaded for the files after it.
            raise ValueError(f"{self.source}/{self.kind}: a contract cannot have both a "
                             "`once` key and a `partition`")
        roles = [k.role for k in self.people]
        if roles and (roles[0] is not None or None in roles[1:] or len(set(roles)) < len(roles)):
            raise ValueError(f"{self.source}/{self.kind}: the first person's match keys have no "
                             "role, every further person's a role of its own")

    @property
    def people(self) -> tuple[MatchKeys, ...]:
        """The persons a row carries for record linkage (empty: none)."""
        if self.match_keys is None:
            return ()
        return self.match_keys if isinstance(self.match_keys, tuple) else (self.match_keys,)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def stored(self) -> list[Column]:
        """Columns staged as text (everything but raw identifiers)."""
        return [c for c in self.columns if c.type != "id"]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def required_names(self) -> set[str]:
        req = {c.name for c in self.columns if c.required}
        for ident in self.identifiers:
            if ident.required and len(ident.columns) == 1:
                req.add(ident.columns[0])
        return req


# A reader for a non-CSV form: yields the header (contract column names) then rows.
FormReader = Callable[[InputFile, "Contract"], tuple[list[str], Iterator[tuple[int, list[Any]]]]]


class Streaming(Protocol):
    """A fast path the engine calls to stage, validate and load one batch (files with the same
    contract and header) in place of its chunked staging (vru.sources.contract.streaming).
    It stores the batch's rows and rejects and returns, per file id, (rows read, loaded,
    rejected, flagged); the engine does everything else (planning, skips, file ids, batches,
    resubmissions, provenance, the read = loaded + rejected check, the import log)."""

    def prepare(self) -> None: ...

    def load_batch(self, ws: Any, con: duckdb.DuckDBPyConnection, batch: list[tuple[Any, int]],
                   import_id: int) -> dict[int, tuple[int, int, int, int]]: ...


# Source-specific planning: (source, paths, limits, encoding) -> the engine's Plan.
Planner = Callable[..., Any]


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    contracts: tuple[Contract, ...]
    extra_readers: dict[str, tuple[str, FormReader]] = field(default_factory=dict)
    # suffix -> (contract kind, reader), e.g. {".xml": ("assaults", read_istv_xml)}
    # Published open data (data.police.uk): no data-sharing agreement, no key, and a file
    # whose content was replaced by a re-issue may be imported again (it is current again).
    open_data: bool = False
    planner: Planner | None = None       # source-specific planning (default: the engine's)
    streaming: Streaming | None = None   # a fast path for the batches (default: chunked staging)
    memory_limit: str = ""               # DuckDB's buffer memory during its imports (default: engine's)
    batch_files: int = 0                 # files and content per batch (default: the engine's)
    batch_bytes: int = 0

    def contract(self, kind: str) -> Contract:
        for c in self.contracts:
            if c.kind == kind:
                return c
        raise KeyError(kind)

    @property
    def suffixes(self) -> tuple[str, ...]:
        return (".csv", ".csv.gz", ".xlsx", *self.extra_readers)

    @property
    def guide(self) -> str:
        return f"docs/guide/hub-{self.name.replace('_', '-')}.md"

    @property
    def needs_key(self) -> bool:
        return any(c.identifiers or c.match_keys for c in self.contracts)


GB_LONLAT_CHECKS = (
    Check("longitude", "(v_longitude IS NULL) <> (v_latitude IS NULL)",
          "longitude and latitude must be given together"),
    Check("longitude",
          "v_longitude NOT BETWEEN -8.75 AND 1.85 OR v_latitude NOT BETWEEN 49.8 AND 60.95",
          "location outside Great Britain (longitude -8.75..1.85, latitude 49.8..60.95)"),
)

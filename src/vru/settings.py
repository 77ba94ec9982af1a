"""Workspace settings: the area, its definition of serious violence, grid and disclosure rule.

Stored as ``settings.toml`` in the workspace folder. Every key is documented in
``docs/guide/workspace.md``; a test fails if a key here is missing from that page.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tomli_w

# data.police.uk's 14 street-crime categories (plus the two retired ones that older files carry).
POLICE_UK_CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)
RETIRED_CRIME_TYPES: tuple[str, ...] = ("Public disorder and weapons", "Violent crime")

# Home Office offence codes commonly counted as serious violence (homicide, attempted murder,
# GBH / wounding, assault with injury, robbery, possession of weapons, threats to kill with a
# weapon). Partnerships replace this list with their own definition.
DEFAULT_SV_OFFENCE_CODES: tuple[str, ...] = (
    "1", "4.1", "4.2", "4.3", "4.4", "4.6", "4.7", "4.8", "4.10",
    "2", "5A", "5D", "5E", "8N", "8P", "37.1",
    "34A", "34B",
    "10A", "10C", "10D", "8M", "8Q",
)


@dataclass
class SeriousViolence:
    """The partnership's definition of serious violence (Serious Violence Duty)."""

    police_uk_categories: list[str] = field(
        default_factory=lambda: ["Violence and sexual offences", "Robbery", "Possession of weapons"]
    )
    ho_offence_codes: list[str] = field(default_factory=lambda: list(DEFAULT_SV_OFFENCE_CODES))
    description: str = (
        "Police-recorded violence and sexual offences, robbery and possession of weapons; "
        "for force extracts, the listed Home Office offence codes."
    )


@dataclass
class Grid:
    """Square grid on the British National Grid (EPSG:27700)."""

    cell_size_m: int = 150
    origin_e: int = 0
    origin_n: int = 0


@dataclass
class Disclosure:
    """Statistical disclosure control applied to every count a non-privileged user sees.

    Counts from 1 to ``suppress_max`` are shown as ``symbol``; other counts are rounded to the
    nearest ``round_to`` (1 = no rounding). Zero is shown as zero. Default: the NHS hospital
    data rule (1-7 suppressed, round to 5).
    """

    suppress_max: int = 7
    round_to: int = 5
    symbol: str = "*"


DEFAULT_THEMES: tuple[str, ...] = (
    "Early intervention and prevention",
    "Supporting communities and partnerships",
    "County lines and the misuse of drugs",
    "Effective law enforcement and criminal justice",
)


@dataclass
class Programme:
    """The VRU's programme: its themes (the response strategy's headings) and the smallest
    count of people a Home Office-style return shows (smaller counts are suppressed)."""

    themes: list[str] = field(default_factory=lambda: list(DEFAULT_THEMES))
    return_suppress_below: int = 10


# The sources that load into ``crimes``, in their default order of precedence.
CRIME_SOURCES: tuple[str, ...] = ("police_rms", "police_uk")
OVERRIDE_KEYS = {"force", "source", "from", "to"}


@dataclass
class CrimeSources:
    """Which source serves each force and month in the canonical crime view.

    For every force and month the first source in ``precedence`` that holds rows for it serves
    that force-month (anti-social behaviour is decided on its own, because force crime systems
    do not record it). ``overrides`` put a source first for one force (or every force) over a
    range of months: ``{force = "Kingsmere Police", source = "police_uk", from = "2023-04",
    to = "2023-06"}`` (``force``, ``from`` and ``to`` optional). See docs/guide/crime-view.md.
    """

    precedence: list[str] = field(default_factory=lambda: list(CRIME_SOURCES))
    overrides: list[dict] = field(default_factory=list)


@dataclass
class Tags:
    """GPS tagging (electronic monitoring): trail-to-crime matching and zone breaches."""

    radius_m: float = 100.0            # D: a trail within this distance of a scene is a match
    window_minutes: float = 30.0       # T: the crime's time window is widened by this each side
    max_gap_minutes: float = 30.0      # never interpolate between fixes further apart than this
    max_speed_kmh: float = 150.0       # never interpolate across an implied speed above this
    max_accuracy_m: float = 100.0      # fixes reporting worse accuracy are not used for matching
    unknown_speed_kmh: float = 30.0    # a silence is "whereabouts unknown" if the scene is in reach
    default_accuracy_m: float = 10.0   # accuracy assumed for a fix that reports none
    bucket_cell_m: int = 500           # matching buckets: grid cell side (metres) ...
    bucket_minutes: int = 60           # ... and time bucket (minutes)
    zone_cell_m: int = 100             # zone cells used to find fixes near a zone
    breach_min_fixes: int = 2          # fixes clearly on the wrong side needed for an episode
    no_signal_minutes: float = 60.0    # a silence longer than this is a no-signal episode


@dataclass
class Imports:
    """Limits and sizes for partner and police.uk imports (safe defaults; raise them knowingly).

    Compressed input (ZIP members, .gz files) is streamed and refused when it would expand
    beyond ``max_uncompressed_mb`` in total, or expands more than ``max_compression_ratio``
    times; a ZIP with more than ``max_archive_members`` entries is refused. Partner files are
    processed ``chunk_rows`` rows at a time, so memory does not grow with file size.
    """

    max_uncompressed_mb: int = 4096
    max_compression_ratio: int = 200
    max_archive_members: int = 10_000
    chunk_rows: int = 491_520   # 4 DuckDB row groups: each chunk is written straight to the file


@dataclass
class MapSettings:
    """The web map. By default the basemap is drawn from the workspace's geography pack (no
    network). A deployment with a tile server it may use sets ``tile_url`` (e.g.
    ``https://tiles.example.org/{z}/{x}/{y}.png``) and its ``tile_attribution``."""

    tile_url: str = ""
    tile_attribution: str = ""


@dataclass
class Report:
    """How published documents (problem profiles, the SNA) look in HTML, PDF and DOCX: the
    partnership's own logo, colours and fonts. ``logo`` is a PNG, JPEG or SVG file, relative to
    the workspace folder or absolute. Colours are ``#rrggbb``; ``colour`` (headings, rules,
    chart bars) must reach WCAG AA contrast (4.5:1) on white, so text in it stays readable.
    ``font`` is a CSS font list; DOCX uses its first family."""

    organisation: str = ""
    logo: str = ""
    colour: str = "#1f5f8b"
    accent_colour: str = "#d9822b"
    font: str = '"Helvetica Neue", Helvetica, Arial, sans-serif'


def contrast_on_white(colour: str) -> float:
    """WCAG 2.x contrast ratio of ``#rrggbb`` against white (the published formula)."""
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return 1.05 / (lum + 0.05)


@dataclass
class Benchmarks:
    """Comparators for the Strategic Needs Assessment (docs/guide/sna.md, "Benchmarks").

    ``most_similar_groups`` maps a police force to the forces of its most similar group (MSG),
    e.g. ``{"Bedfordshire" = ["Hertfordshire", "Kent"]}``: the Home Office / HMICFRS MSG list,
    which the partnership copies from the current iQuanta or HMICFRS publication (vru ships
    none: the groups are revised and are not published as an open file). Names may be written
    as the force, "<force> Police" or the ONS police force area name ("London, City of").
    England and Wales is always the pooled rate of every force imported for the whole period.
    """

    most_similar_groups: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Settings:
    area_name: str = "Unnamed VRU area"
    serious_violence: SeriousViolence = field(default_factory=SeriousViolence)
    grid: Grid = field(default_factory=Grid)
    disclosure: Disclosure = field(default_factory=Disclosure)
    programme: Programme = field(default_factory=Programme)
    tags: Tags = field(default_factory=Tags)
    crime_sources: CrimeSources = field(default_factory=CrimeSources)
    imports: Imports = field(default_factory=Imports)
    map: MapSettings = field(default_factory=MapSettings)
    report: Report = field(default_factory=Report)
    benchmarks: Benchmarks = field(default_factory=Benchmarks)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        known = {"area_name", "serious_violence", "grid", "disclosure", "programme", "tags",
                 "crime_sources", "imports", "map", "report", "benchmarks"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown settings keys: {', '.join(sorted(unknown))}")
        return cls(
            area_name=str(data.get("area_name", cls.area_name)),
            serious_violence=_section(SeriousViolence, data.get("serious_violence", {})),
            grid=_section(Grid, data.get("grid", {})),
            disclosure=_section(Disclosure, data.get("disclosure", {})),
            programme=_section(Programme, data.get("programme", {})),
            tags=_section(Tags, data.get("tags", {})),
            crime_sources=_section(CrimeSources, data.get("crime_sources", {})),
            imports=_section(Imports, data.get("imports", {})),
            map=_section(MapSettings, data.get("map", {})),
            report=_section(Report, data.get("report", {})),
            benchmarks=_section(Benchmarks, data.get("benchmarks", {})),
        )

    def validate(self) -> None:
        if self.grid.cell_size_m <= 0:
            raise ValueError("grid.cell_size_m must be a positive number of metres")
        if self.disclosure.round_to < 1 or self.disclosure.suppress_max < 0:
            raise ValueError("disclosure.round_to must be >= 1 and suppress_max >= 0")
        themes = self.programme.themes
        if not themes or len(set(themes)) != len(themes) or any(not str(t).strip() for t in themes):
            raise ValueError("programme.themes must be a non-empty list of distinct names")
        if self.programme.return_suppress_below < 0:
            raise ValueError("programme.return_suppress_below must be >= 0")
        t = self.tags
        if min(t.radius_m, t.max_gap_minutes, t.unknown_speed_kmh, t.max_speed_kmh, t.max_accuracy_m, t.bucket_cell_m,
               t.bucket_minutes, t.zone_cell_m, t.breach_min_fixes, t.no_signal_minutes) <= 0 \
                or t.window_minutes < 0 or t.default_accuracy_m < 0:
            raise ValueError("tags settings must be positive (window_minutes, default_accuracy_m >= 0)")
        if min(self.imports.max_uncompressed_mb, self.imports.max_compression_ratio,
               self.imports.max_archive_members, self.imports.chunk_rows) < 1:
            raise ValueError("imports.* settings must be positive numbers")
        bad = set(self.serious_violence.police_uk_categories) - set(POLICE_UK_CRIME_TYPES)
        if bad:
            raise ValueError(f"serious_violence.police_uk_categories not police.uk types: {bad}")
        url = self.map.tile_url
        if url and not (re.fullmatch(r"https?://[^\s/]+/\S*", url)
                        and all(k in url for k in ("{z}", "{x}", "{y}"))):
            raise ValueError("map.tile_url must be an http(s) URL with {z}, {x} and {y}, "
                             f"e.g. https://tiles.example.org/{{z}}/{{x}}/{{y}}.png; got {url!r}")
        rep = self.report
        for key in ("colour", "accent_colour"):
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", getattr(rep, key)):
                raise ValueError(f"report.{key} must be a colour like #1f5f8b; got {getattr(rep, key)!r}")
        if contrast_on_white(rep.colour) < 4.5:
            raise ValueError(f"report.colour {rep.colour} has contrast {contrast_on_white(rep.colour):.1f}:1 "
                             "on white; headings need at least 4.5:1 (WCAG AA): choose a darker colour")
        if rep.logo and not rep.logo.lower().endswith((".png", ".jpg", ".jpeg", ".svg")):
            raise ValueError(f"report.logo must be a .png, .jpg or .svg file; got {rep.logo!r}")
        if not rep.font.strip() or any(c in rep.font for c in "{};<>"):
            raise ValueError(f"report.font must be a CSS font list like Arial, sans-serif; got {rep.font!r}")
        cs = self.crime_sources
        bad = [x for x in cs.precedence if x not in CRIME_SOURCES]
        if bad or len(set(cs.precedence)) != len(cs.precedence):
            raise ValueError(f"crime_sources.precedence must list distinct sources of "
                             f"{', '.join(CRIME_SOURCES)}; got {cs.precedence}")
        for i, o in enumerate(cs.overrides):
            where = f"crime_sources.overrides[{i + 1}]"
            if not isinstance(o, dict):
                raise ValueError(f"{where} must be a table like {{source = \"police_uk\"}}")
            unknown = set(o) - OVERRIDE_KEYS
            if unknown:
                raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))} "
                                 f"(allowed: {', '.join(sorted(OVERRIDE_KEYS))})")
            if o.get("source") not in CRIME_SOURCES:
                raise ValueError(f"{where}: source must be one of {', '.join(CRIME_SOURCES)}")
            for k in ("from", "to"):
                v = o.get(k)
                if v is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(v)):
                    raise ValueError(f"{where}: {k} = {v!r} is not a month (YYYY-MM)")

        groups = self.benchmarks.most_similar_groups
        if not isinstance(groups, dict) or any(
                not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v)
                for v in groups.values()):
            raise ValueError('benchmarks.most_similar_groups must be a table of force = [forces], '
                             'e.g. {"Bedfordshire" = ["Hertfordshire", "Kent"]}')

    @classmethod
    def load(cls, path: Path) -> Settings:
        with open(path, "rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from exc
        try:
            settings = cls.from_dict(data)
            settings.validate()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        return settings

    def save(self, path: Path) -> None:
        self.validate()
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_bytes(tomli_w.dumps(self.to_dict()).encode())
        tmp.replace(path)


def _section(kind: type, values: dict):
    if not isinstance(values, dict):
        raise ValueError(f"settings section for {kind.__name__} must be a table")
    names = {f for f in kind.__dataclass_fields__}
    unknown = set(values) - names
    if unknown:
        raise ValueError(f"unknown keys in [{kind.__name__.lower()}]: {', '.join(sorted(unknown))}")
    return kind(**values)

"""The knobs of the synthetic VRU world, with their documented defaults.

Every value here is written to the ground-truth file (``truth/parameters.json``), so tests and
users can compare what the generator was asked to do with what the files show.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# data.police.uk categories with their share of all street rows (Bedfordshire 2021-24, rounded),
# their deprivation gradient (log-rate per SD of deprivation) and whether they gather in town
# centres (night-time economy, shops) rather than where people live.
CRIME_MIX: dict[str, dict[str, float]] = {
    "Violence and sexual offences": {"share": 0.318, "dep_beta": 0.45, "centre": 0.35},
    "Anti-social behaviour": {"share": 0.187, "dep_beta": 0.40, "centre": 0.30},
    "Public order": {"share": 0.081, "dep_beta": 0.40, "centre": 0.40},
    "Vehicle crime": {"share": 0.081, "dep_beta": 0.15, "centre": 0.20},
    "Other theft": {"share": 0.074, "dep_beta": 0.10, "centre": 0.45},
    "Criminal damage and arson": {"share": 0.072, "dep_beta": 0.40, "centre": 0.10},
    "Shoplifting": {"share": 0.063, "dep_beta": 0.10, "centre": 0.80},
    "Burglary": {"share": 0.041, "dep_beta": 0.25, "centre": 0.05},
    "Drugs": {"share": 0.029, "dep_beta": 0.55, "centre": 0.35},
    "Other crime": {"share": 0.018, "dep_beta": 0.30, "centre": 0.15},
    "Bicycle theft": {"share": 0.0105, "dep_beta": 0.05, "centre": 0.50},
    "Robbery": {"share": 0.009, "dep_beta": 0.50, "centre": 0.45},
    "Possession of weapons": {"share": 0.009, "dep_beta": 0.60, "centre": 0.40},
    "Theft from the person": {"share": 0.008, "dep_beta": 0.10, "centre": 0.75},
}

AGE_BANDS: tuple[str, ...] = ("0-15", "16-24", "25-34", "35-49", "50-64", "65+")


@dataclass
class WorldParams:
    """Geography and population."""

    n_zones: int = 1000
    mean_zone_population: float = 1500.0
    # Bounding box of the fictional force area on the British National Grid (metres). The
    # default sits in the English Midlands; all codes are fictional (E0199xxxx etc.).
    min_e: float = 420_000.0
    max_e: float = 476_000.0
    min_n: float = 270_000.0
    max_n: float = 310_000.0
    rural_share: float = 0.15          # population spread evenly over the area
    first_population_year: int = 2021
    population_growth: float = 0.006   # per year


@dataclass
class CrimeParams:
    """The police-recorded crime process."""

    rate_per_1000: float = 88.0        # street rows per 1,000 residents per year (all categories)
    branching_ratio: float = 0.25      # expected offspring per crime (self-excitation)
    offspring_days: float = 7.0        # mean delay of an offspring crime (exponential)
    offspring_sd_m: float = 120.0      # spatial spread of offspring (Gaussian sd, metres)
    seasonal_amplitude: float = 0.15   # violence: 1 + A cos(2 pi (month - peak) / 12)
    seasonal_peak_month: int = 7
    n_hotspots: int = 20
    hotspot_cell_m: int = 150          # hotspot centres sit at the centre of such a cell
    hotspot_sd_m: float = 25.0
    hotspot_violence_per_year: float = 55.0  # per hotspot, at scale 1
    patrol_hotspots: int = 10          # hotspots given daily-ish foot patrols ...
    patrol_start_year: int = 3         # ... from the start of this financial year (1 = first)
    patrol_effect: float = 0.25        # true reduction of hotspot crime while patrolled
    no_location_share: float = 0.035   # police.uk rows without coordinates
    anon_points_per_100_people: float = 1.2


@dataclass
class PartnerParams:
    """Partner agencies' records."""

    ed_unknown_to_police: float = 0.5  # share of ED assault attendances never reported
    ed_attend_share_of_injury_violence: float = 0.12  # reported injury assaults seen in ED
    ed_attend_share_knife: float = 0.6
    admission_share_of_ed: float = 0.10     # ED assault attendances admitted (SHARP: x4)
    non_assault_admissions_share: float = 0.3  # extra injury admissions that are not assaults
    suspensions_per_year: float = 3000.0    # at scale 1 (permanent exclusions: 2% of events)
    yj_share_of_youth_suspects: float = 0.08  # identified 10-17 suspects entering youth justice
    suspect_identified: float = 0.45        # violence/robbery/weapons/drugs etc.
    tagged_people: int = 40
    gps_interval_minutes: int = 15
    order_days: tuple[int, int] = (14, 60)
    gps_sd_m: float = 12.0
    gps_gap_share: float = 0.03
    exclusion_breach_share: float = 0.3      # tagged people who enter their exclusion zone
    patrols_per_hotspot_per_week: float = 4.0


@dataclass
class NoiseParams:
    """Identifier noise in partner files (per record, per field)."""

    name_typo: float = 0.05            # per name field (forename, surname)
    dob_error: float = 0.02
    nhs_missing: float = 0.03          # admissions: a missing NHS number is rejected at import
    upn_typo: float = 0.01             # a mistyped digit: a different (wrong) pupil number
    pnc_missing_youth_justice: float = 0.3  # youth justice rows without PNC ID (name+dob only)
    pnc_format_variant: float = 0.2    # PNC IDs written as YYYY/0NNNNNNA (same ID)
    sex_missing: float = 0.01
    postcode_missing: float = 0.10     # record linkage: partner rows without a home postcode


@dataclass
class ProgrammeParams:
    enabled: bool = True               # run a VRU programme (vru.synth.programme)
    referrals_per_year: float = 450.0  # at scale 1; grows with the square root of the scale


@dataclass
class SynthParams:
    seed: int = 1
    scale: float = 1.0                 # multiplies crime and partner volumes (not geography)
    start_year: int = 2021             # first financial year starts 1 April of this year
    years: int = 3
    force_name: str = "Kingsmere Police"
    force_slug: str = "kingsmere"
    world: WorldParams = field(default_factory=WorldParams)
    crime: CrimeParams = field(default_factory=CrimeParams)
    partners: PartnerParams = field(default_factory=PartnerParams)
    noise: NoiseParams = field(default_factory=NoiseParams)
    programme: ProgrammeParams = field(default_factory=ProgrammeParams)

    def to_dict(self) -> dict:
        return asdict(self)

    def set(self, dotted: str, text: str) -> None:
        """Set one parameter from text, e.g. ``set("partners.ed_unknown_to_police", "0.8")``."""
        *path, name = dotted.split(".")
        obj = self
        for part in path:
            obj = getattr(obj, part, None)
            if obj is None or not hasattr(obj, "__dataclass_fields__"):
                raise ValueError(f"unknown parameter section {part!r} in {dotted!r}")
        if name not in getattr(obj, "__dataclass_fields__", {}) or \
                hasattr(getattr(obj, name), "__dataclass_fields__"):
            raise ValueError(f"unknown parameter {dotted!r} (see docs/guide/synth.md)")
        current = getattr(obj, name)
        try:
            if isinstance(current, bool):
                value: object = text.lower() in ("1", "true", "yes", "y")
            elif isinstance(current, tuple):
                value = tuple(type(c)(v) for c, v in zip(current, text.split(","), strict=True))
            else:
                value = type(current)(text)
        except ValueError as exc:
            raise ValueError(f"{dotted}: {text!r} is not a valid {type(current).__name__}") \
                from exc
        setattr(obj, name, value)

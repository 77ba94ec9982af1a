"""Write a whole synthetic world to a folder, month by month (bounded memory).

Layout of OUT (docs/guide/synth.md):
  geography/                 geography pack (vru geo import)
  police-uk/YYYY-MM/...      data.police.uk street files
  police-rms/, istv/, admissions/, education/, youth-justice/, em/, patrols/
                             partner files in the data hub's contracts (vru.synth.partners)
  truth/                     ground truth (see vru.synth.truth)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from vru.synth import crimes as crime_process
from vru.synth.crime_details import details
from vru.synth.geography import write_geography
from vru.synth.params import SynthParams
from vru.synth.partners import PartnerFiles
from vru.synth.people import build_people
from vru.synth.police_files import build_map_points, street_rows, write_street
from vru.synth.programme import build_programme, write_programme
from vru.synth.truth import write_crime_truth, write_static_truth
from vru.synth.world import build_world

ProgressFn = Callable[[str, int, int], None]


@dataclass
class SynthSummary:
    out: Path
    zones: int = 0
    months: int = 0
    crimes: int = 0
    files: dict[str, int] = field(default_factory=dict)


def force_refs(batch: crime_process.CrimeBatch) -> pa.Array:
    """Force crime references: KM/<yy>/<uid>, the shape of a record-system reference."""
    yy = (batch.t.astype("datetime64[Y]").astype(int) + 1970) % 100
    return pc.binary_join_element_wise(
        "KM", pc.utf8_lpad(pc.cast(pa.array(yy), pa.string()), 2, "0"),
        pc.utf8_lpad(pc.cast(pa.array(batch.uid), pa.string()), 8, "0"), "/")


def generate(out: Path | str, p: SynthParams, progress: ProgressFn | None = None,
             crime_truth: bool = True, partners: bool = True) -> SynthSummary:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        # Only ever replace a folder this generator wrote (it carries truth/parameters.json).
        if not (out / "truth" / "parameters.json").exists():
            raise FileExistsError(f"{out} exists and is not a vru synth folder; choose another")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = SynthSummary(out)
    world = build_world(p)
    model = crime_process.build_model(world, p)
    summary.zones = world.n
    summary.files["geography pack LSOAs"] = write_geography(world, p, out / "geography")["lsoa"]
    write_static_truth(out / "truth", world, model, p)
    points = build_map_points(world, model, p)
    n_months = len(model.months)
    people = build_people(world, p) if partners else None
    # The programme is decided before any crime: its planted effect changes who offends later.
    prog = build_programme(world, people, p) if partners and p.programme.enabled else None
    hub = PartnerFiles(out, world, model, people, points, p,
                       activity_scale=prog.activity_scale if prog else None) if partners else None
    police_dir = out / "police-uk"
    for i, batch in enumerate(crime_process.generate(world, model, p)):
        det = details(batch, world.centre_weight, p)
        cols, ids, _ = street_rows(batch, det, world, points, p)
        write_street(police_dir, batch, cols, p.force_slug)
        refs = force_refs(batch).to_numpy(zero_copy_only=False)
        if crime_truth:
            write_crime_truth(out / "truth", batch, world, ids, refs)
        if hub is not None:
            hub.month(batch, det, refs)
        summary.crimes += len(batch)
        summary.months += int(batch.last_in_month)
        summary.files["police.uk street rows"] = summary.files.get("police.uk street rows", 0) \
            + len(batch)
        if progress:
            progress("crimes", i + 1, n_months)
    if hub is not None:
        if progress:
            progress("partner files", 0, 1)
        for k, v in sorted(hub.finish().items()):
            summary.files[f"{k} rows"] = v
    if prog is not None:
        for k, v in write_programme(out, prog, people).items():
            summary.files[f"{k} rows"] = v
    return summary

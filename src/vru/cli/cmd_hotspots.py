"""`vru hotspots ...`: concentration, Gi*, emerging hot spots, near repeats, backtests, patrol
plans and dosage. Thin: query the workspace (vru.analysis.hotspots.store), call the pure
functions, print, write files with a run.json beside them, record the run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from vru.cli.common import WorkspaceOption, console, fail, open_workspace

# The analysis modules (scipy) are imported inside the commands so that `vru --help` and other
# command groups do not pay for them.

app = typer.Typer(help="Hotspot policing: where harm concentrates, emerging hot spots, near "
                       "repeats, backtested forecasts, patrol plans and dosage.",
                  no_args_is_help=True)

CrimeTypes = typer.Option(None, "--crime-type", "-c",
                          help="police.uk category (repeat); default: the workspace's serious "
                               "violence definition.")
FromOpt = typer.Option(None, "--from", help="First month, YYYY-MM (default: earliest).")
ToOpt = typer.Option(None, "--to", help="Last month, YYYY-MM (default: latest).")
SourceOpt = typer.Option(None, "--source", help="police_uk | police_rms (default: both; do not "
                                                "mix them for the same force and months).")
UnitOpt = typer.Option("grid", "--unit", help="grid | hex | lsoa | snap")
SizeOpt = typer.Option(None, "--size", help="Grid cell size in metres (default: settings).")
OriginE = typer.Option(None, "--origin-e", help="Grid origin easting (default: settings).")
OriginN = typer.Option(None, "--origin-n", help="Grid origin northing (default: settings).")
ResOpt = typer.Option(9, "--resolution", help="H3 resolution for --unit hex.")
WeightOpt = typer.Option("count", "--weighting", help="count | harm")
HarmOpt = typer.Option(None, "--harm-table",
                       help="CSV replacing the default harm table (category + weight columns).")
OutOpt = typer.Option(None, "--out", help="Output folder (default: <workspace>/exports/...).")
# dated events from a CSV instead of the workspace (vru.sources.event_files)
CsvX = typer.Option("x", help="CSV: x column.")
CsvY = typer.Option("y", help="CSV: y column.")
CsvDate = typer.Option("date", help="CSV: date column.")
CsvCrs = typer.Option("EPSG:27700", help="CSV: projected CRS of x/y.")
CsvDedupe = typer.Option(None, help="CSV: keep one row per value of this column (e.g. "
                                    "INCIDENT_KEY).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="hotspots")


# ---------------------------------------------------------------- shared plumbing
def _floats(text: str, what: str) -> list[float]:
    try:
        vals = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{what}: {text!r} is not a comma-separated list of numbers")
    if not vals:
        fail(f"{what}: give at least one number")
    return vals


def _prepare(ws, crime_type, period, unit, size, origin_e, origin_n, resolution,
             weighting, harm_table, extent="events"):
    from vru.analysis.hotspots import harm as hm
    from vru.analysis.hotspots import store
    from vru.analysis.hotspots import units as un

    try:
        events = store.load_events(ws, crime_type, *period)
    except ValueError as exc:
        fail(str(exc))
    f = events.frame[events.frame["easting"].notna()].reset_index(drop=True)
    g = ws.settings.grid
    size = float(size if size is not None else g.cell_size_m)
    oe = float(origin_e if origin_e is not None else g.origin_e)
    on = float(origin_n if origin_n is not None else g.origin_n)
    try:
        table = hm.load_harm_table(harm_table) if harm_table else None
        w = hm.event_weights(f["crime_type"].to_numpy(), weighting, table)
        units = un.make_units(unit, f["easting"], f["northing"], f["lsoa_code"], size=size,
                              origin_e=oe, origin_n=on, extent=extent, resolution=resolution)
    except ValueError as exc:
        fail(str(exc))
    idx = units.assign(f["easting"], f["northing"], f["lsoa_code"])
    params = {"unit": unit, "units": units.describe(), "n_units": len(units),
              "weighting": weighting,
              "harm_table": (str(harm_table) if harm_table else hm.DEFAULT_HARM_NAME)
              if weighting == "harm" else None}
    events.data["rows_used"] = int(len(f))
    events.data["rows_without_location"] = int(len(events.frame) - len(f))
    return events, f, units, idx, w, params


def _finish(ws, kind: str, d: Path, params: dict, data: dict, summary: dict,
            files: list[Path]) -> None:
    from vru.reports import hotspot_outputs as outputs

    run_id = outputs.finish(ws, kind, d, params, data, summary, files)
    console.print(f"run {run_id}: outputs in {d}")


def _print_df(df: pd.DataFrame, title: str, floats: str = "{:.2f}") -> None:
    t = Table(title=title)
    for c in df.columns:
        t.add_column(str(c))
    for row in df.itertuples(index=False):
        t.add_row(*[floats.format(v) if isinstance(v, float | np.floating) else str(v)
                    for v in row])
    console.print(t)


# ---------------------------------------------------------------- commands
@app.command()
def concentration(workspace: Path = WorkspaceOption, crime_type: list[str] = CrimeTypes,
                  start: str = FromOpt, end: str = ToOpt, source: str = SourceOpt,
                  unit: str = UnitOpt,
                  size: float = SizeOpt, origin_e: float = OriginE, origin_n: float = OriginN,
                  resolution: int = ResOpt, weighting: str = WeightOpt,
                  harm_table: Path = HarmOpt, out: Path = OutOpt) -> None:
    """Share of harm in the top x% of area (table and curve) and the Gini coefficient."""
    from vru.analysis.hotspots import concentration as conc
    from vru.reports import hotspot_outputs as outputs

    ws = open_workspace(workspace)
    ev, f, units, idx, w, params = _prepare(ws, crime_type, (start, end, source), unit, size, origin_e,
                                            origin_n, resolution, weighting, harm_table)
    values = np.bincount(idx[idx >= 0], weights=w[idx >= 0], minlength=len(units))
    area = units.area_m2 if units.has_area else None
    table = conc.harm_share_at(values, area)
    g = conc.gini(values, area)
    half = conc.area_for_harm(values, area, 50.0)
    basis = "area" if area is not None else "units (no area for these units)"
    params.update({"share_of": basis, "area": "units with at least one event"})
    _print_df(table, f"Concentration ({units.describe()}, {weighting}; share of {basis})")
    console.print(f"Gini {g:.3f}; 50% of {weighting} in {half:.2f}% of the {basis}.")
    d = outputs.out_dir(ws, "concentration", out)
    curve = conc.concentration_curve(values, area)
    curve["unit_id"] = units.ids[curve["unit"]]
    table.to_csv(d / "concentration_table.csv", index=False)
    curve.drop(columns="unit").to_csv(d / "concentration_curve.csv", index=False)
    _finish(ws, "concentration", d, params, ev.data,
            {"gini": g, "area_pct_for_half": half, "table": table.to_dict("records")},
            [d / "concentration_table.csv", d / "concentration_curve.csv"])


def _query(ws, crime_type, start, end, source, unit, size, origin_e, origin_n, resolution,
           weighting, harm_table, **more):
    """The service's query from the common options (months parsed here, errors named)."""
    from vru.analysis.hotspots import service as svc
    from vru.analysis.hotspots import store

    try:
        s, e = store._month(start), store._month(end)
    except ValueError as exc:
        fail(str(exc))
    return svc.HotspotQuery(crime_types=tuple(crime_type or ()), start=s, end=e, source=source,
                            unit=unit, size=size, origin_e=origin_e, origin_n=origin_n,
                            resolution=resolution, weighting=weighting,
                            harm_table=str(harm_table) if harm_table else None, **more)


AreaOpt = typer.Option(None, "--area", help="Local authority name (default: everywhere).")
StudyOpt = typer.Option("built-up", "--study-area",
                        help="built-up (cells where any crime was recorded in the period) | "
                             "near-events (within --reach cells of an event) | events | bbox.")
DistOpt = typer.Option(None, "--distance", help="Neighbour distance in metres (default: chosen "
                                                "from the data by incremental spatial "
                                                "autocorrelation within --max-distance).")
MaxDistOpt = typer.Option(None, "--max-distance",
                          help="Patrol reach: the largest distance band the data may choose, "
                               "in metres (default 500).")
TopOpt = typer.Option(15, "--top", help="Number of places to rank (a team can patrol 10-20).")


@app.command()
def gistar(workspace: Path = WorkspaceOption, crime_type: list[str] = CrimeTypes,
           start: str = FromOpt, end: str = ToOpt, source: str = SourceOpt,
           area: str = AreaOpt, unit: str = UnitOpt, size: float = SizeOpt,
           origin_e: float = OriginE, origin_n: float = OriginN, resolution: int = ResOpt,
           weighting: str = WeightOpt, harm_table: Path = HarmOpt,
           distance: float = DistOpt, max_distance: float = MaxDistOpt,
           study_area: str = StudyOpt,
           reach: int = typer.Option(2, "--reach", help="near-events: cells of reach."),
           top: int = TopOpt,
           fdr: bool = typer.Option(True, "--fdr/--no-fdr", help="Benjamini-Hochberg FDR."),
           inference: str = typer.Option("empirical", "--inference",
                                         help="empirical (p from the values' own "
                                              "distribution, the default) | normal (ArcGIS's "
                                              "normal p)."),
           kde_bandwidth: float = typer.Option(None, "--kde-bandwidth",
                                               help="Also a quartic kernel density surface "
                                                    "(per km2) with this bandwidth (m)."),
           csv: Path = typer.Option(None, help="Read dated events from this CSV instead of "
                                               "the workspace (e.g. the NYC shootings)."),
           x_col: str = CsvX, y_col: str = CsvY, date_col: str = CsvDate,
           crs: str = CsvCrs, dedupe: str = CsvDedupe,
           out: Path = OutOpt) -> None:
    """Gi* at patrol scale (distance band and study area from the data) with the harm-ranked
    places a team can patrol; CSV, GeoJSON and a printable map, each with its accuracy."""
    from vru.analysis.hotspots import service as svc
    from vru.reports import hotspot_outputs as outputs
    from vru.reports import hotspot_pages as pages

    ws = open_workspace(workspace)
    q = _query(ws, crime_type, start, end, source, unit, size, origin_e, origin_n, resolution,
               weighting, harm_table, area=area, distance=distance,
               max_distance=max_distance, study_area=study_area, reach_cells=reach, top=top,
               fdr=fdr, inference=inference)
    try:
        if csv is not None:
            from vru.sources.event_files import read_dated_events

            if q.size is None:
                q = replace(q, size=float(ws.settings.grid.cell_size_m))
            ev, q = svc.events_from_file(read_dated_events(csv, x_col, y_col, date_col, crs,
                                                           dedupe), q, start, end)
        else:
            ev, q = svc.events_for(ws, q)
        m = svc.gistar(ev, q)
    except ValueError as exc:
        fail(str(exc))
    units, params, data = m.units, m.params, m.data
    summ = m.summary()
    bins = pd.Series(summ["bins"])
    _print_df(pd.DataFrame({"gi_bin": bins.index, "units": bins.values}),
              f"Gi* bins ({units.describe()}, {m.distance_m:g} m neighbourhood, "
              f"{summ['significance']})")
    console.print(f"Distance band: {params['distance_method']}")
    console.print(f"Study area: {m.area.describe()}; Gi* hot cells: {summ['hot_cells']:,} "
                  f"({summ['flagged_area_pct']:.2f}% of it)")
    _print_df(m.ranking.table[["rank", "unit_id", "value", "share_pct", "gi_bin"]],
              f"The {len(m.ranking.table)} places with most {q.weighting} "
              f"(Gi* as supporting evidence)")
    _print_df(m.ranking.top_area, "Share of harm in the top 1/2/5% of the study area")
    console.print(f"Map accuracy: {m.accuracy.label()}")
    _print_missing(data)
    d = outputs.out_dir(ws, "gistar", out)
    df = m.table()
    if kde_bandwidth:
        from vru.analysis.hotspots.kde import kde_at

        df["kde_per_km2"] = kde_at(units.x, units.y, ev.x, ev.y, kde_bandwidth, ev.weight,
                                   "quartic")
        params.update({"kde_bandwidth_m": kde_bandwidth, "kde_kernel": "quartic"})
    meta = {"params": params, "data": data, "accuracy": m.accuracy.as_dict()}
    mapped = df[(df["value"] > 0) | (df["gi_bin"] != 0)].astype({"gi_bin": int})
    files = outputs.write_class_map(
        d, "gistar", df, mapped, mapped, units, "gi_bin", pages.GI_COLOURS, pages.GI_LABELS,
        f"Gi* hot and cold spots: {units.describe()}", meta, m.accuracy.label(),
        f"Confidence levels: {summ['significance']}; {summ['distance_label']}")
    files += outputs.write_tables(d, {"places.csv": m.ranking.table})
    _finish(ws, "gistar", d, params, data, summ, files)


def _print_missing(data: dict) -> None:
    if data.get("missing_months"):
        console.print(f"[yellow]Missing months (no data; left out, not read as zero): "
                      f"{', '.join(data['missing_months'])}[/]")


@app.command()
def emerging(workspace: Path = WorkspaceOption, crime_type: list[str] = CrimeTypes,
             start: str = FromOpt, end: str = ToOpt, source: str = SourceOpt,
             area: str = AreaOpt, unit: str = UnitOpt, size: float = SizeOpt,
             origin_e: float = OriginE, origin_n: float = OriginN, resolution: int = ResOpt,
             weighting: str = WeightOpt, harm_table: Path = HarmOpt,
             step: str = typer.Option("month", help="month | quarter"),
             distance: float = DistOpt, max_distance: float = MaxDistOpt,
             study_area: str = StudyOpt,
             alpha: float = typer.Option(0.05, help="Significance after FDR."),
             rules: str = typer.Option("arcgis", help="arcgis (ArcGIS's 17 categories, the "
                                                      "default) | vru (vru's earlier variant)."),
             out: Path = OutOpt) -> None:
    """Emerging hot spot analysis: Gi* per step, Mann-Kendall trend, 8 hot + 8 cold categories."""
    from vru.analysis.hotspots import service as svc
    from vru.reports import hotspot_outputs as outputs
    from vru.reports import hotspot_pages as pages

    ws = open_workspace(workspace)
    q = _query(ws, crime_type, start, end, source, unit, size, origin_e, origin_n, resolution,
               weighting, harm_table, area=area, distance=distance,
               max_distance=max_distance, study_area=study_area, step=step, alpha=alpha, rules=rules)
    try:
        m = svc.emerging_for(ws, q)
    except ValueError as exc:
        fail(str(exc))
    units, params, data = m.units, m.params, m.data
    summ = m.result.summary()
    _print_df(summ[summ["units"] > 0], f"Emerging hot spots ({units.describe()}, "
                                       f"{len(m.labels)} {step}s, {rules} rules)")
    console.print(f"Distance band: {params['distance_method']}")
    console.print(f"Map accuracy: {m.accuracy.label()}")
    _print_missing(data)
    d = outputs.out_dir(ws, "emerging", out)
    tab = m.table()
    meta = {"params": params, "data": data, "accuracy": m.accuracy.as_dict()}
    files = outputs.write_class_map(
        d, "emerging", tab, tab[tab["category"] != "no pattern"], tab, units, "category",
        pages.EHS_COLOURS, {}, f"Emerging hot spots: {units.describe()}, {len(m.labels)} {step}s",
        meta, m.accuracy.label(), params["distance_label"])
    _finish(ws, "emerging", d, params, data, m.summary(), files)


@app.command()
def nearrepeat(workspace: Path = WorkspaceOption, crime_type: list[str] = CrimeTypes,
               start: str = FromOpt, end: str = ToOpt, source: str = SourceOpt,
               csv: Path = typer.Option(None, help="Read events from this CSV instead of the "
                                                   "workspace (e.g. a force or NYC extract)."),
               x_col: str = CsvX, y_col: str = CsvY, date_col: str = CsvDate,
               crs: str = CsvCrs, dedupe: str = CsvDedupe,
               distance_bands: str = typer.Option("100,200,300,400",
                                                  help="Upper edges, metres."),
               time_bands: str = typer.Option(None, help="Upper edges: days for dated events "
                                              "(default 7,14,21,28); whole months for "
                                              "police.uk data without dates (default 0,1,2,3 "
                                              "= same month, 1, 2, 3 months apart)."),
               permutations: int = typer.Option(99), seed: int = typer.Option(0),
               out: Path = OutOpt) -> None:
    """Knox near-repeat test: observed/expected ratios and p over distance x time bands."""
    from vru.analysis.hotspots import near_repeat as nr
    from vru.analysis.hotspots import store
    from vru.reports import hotspot_outputs as outputs

    ws = open_workspace(workspace)
    dbands = _floats(distance_bands, "--distance-bands")
    if csv is not None:
        from vru.sources.event_files import read_dated_events

        e = read_dated_events(csv, x_col, y_col, date_col, crs, dedupe)
        x, y, t, data, tunit = e.x, e.y, e.t, e.data, "days"
    else:
        try:
            ev = store.load_events(ws, crime_type, start, end, source)
        except ValueError as exc:
            fail(str(exc))
        fr = ev.frame[ev.frame["easting"].notna()]
        if fr["occurred_from"].notna().mean() > 0.9:
            fr = fr[fr["occurred_from"].notna()]
            t = ((pd.to_datetime(fr["occurred_from"]) - pd.Timestamp("1970-01-01"))
                 / pd.Timedelta(days=1)).to_numpy()
            tunit = "days"
        else:
            mi = ev.month_index()[ev.frame["easting"].notna().to_numpy()]
            t, tunit = mi.astype(float), "months"
            console.print("[yellow]these events carry months only (police.uk): time bands are "
                          "whole months (0 = the same month); day bands need dated events[/]")
        x, y = fr["easting"].to_numpy(float), fr["northing"].to_numpy(float)
        data = ev.data
    tbands = (_floats(time_bands, "--time-bands") if time_bands
              else list(nr.default_time_bands(tunit)))
    if tunit == "months" and any(not float(b).is_integer() for b in tbands):
        fail(f"--time-bands {time_bands}: these events carry months only; give whole months "
             f"(e.g. 0,1,2,3)")
    r = nr.knox(x, y, t, dbands, tbands, permutations=permutations, seed=seed,
                units=("m", tunit))
    params = {"distance_bands_m": dbands, "time_bands": tbands, "time_unit": tunit,
              "permutations": permutations, "seed": seed, "events": r.n_events}
    _print_df(r.table("ratio").reset_index(names="distance"), "Knox ratio observed/expected")
    _print_df(r.table("p").reset_index(names="distance"), "Knox p (permutation)", "{:.3f}")
    lines = r.summary()
    for line in lines:
        console.print(line)
    d = outputs.out_dir(ws, "nearrepeat", out)
    r.long_table().to_csv(d / "knox.csv", index=False)
    (d / "summary.txt").write_text("\n".join(lines) + "\n")
    _finish(ws, "nearrepeat", d, params, data, {"summary": lines},
            [d / "knox.csv", d / "summary.txt"])


def _window_label(win) -> str:
    if not len(win):
        return ""
    r = win.iloc[0]
    return f"{int(r.start_hour):02d}:00-{int(r.end_hour):02d}:00 ({r.share_pct:.0f}%)"


@app.command()
def backtest(workspace: Path = WorkspaceOption, crime_type: list[str] = CrimeTypes,
             start: str = FromOpt, end: str = ToOpt, source: str = SourceOpt,
             area: str = AreaOpt, size: float = SizeOpt,
             origin_e: float = OriginE, origin_n: float = OriginN,
             weighting: str = WeightOpt, harm_table: Path = HarmOpt,
             csv: Path = typer.Option(None, help="Read dated events from this CSV instead of "
                                                 "the workspace (e.g. the NYC shootings)."),
             x_col: str = CsvX, y_col: str = CsvY, date_col: str = CsvDate,
             crs: str = CsvCrs, dedupe: str = CsvDedupe,
             eval_months: int = typer.Option(12, help="Evaluate the last N months."),
             coverages: str = typer.Option("1,2,5,10", help="Area coverage %, comma list."),
             methods: str = typer.Option("naive,count,kde,prospective,hawkes,gbm",
                                         help="Comma list of methods."),
             study: str = typer.Option("history", "--study-area",
                                       help="history (cells with an event before the first "
                                            "evaluated month; default) | active | grid."),
             sizes: str = typer.Option(None, help="Sensitivity: grid sizes, e.g. 150,250,400."),
             offsets: str = typer.Option("0,0.5", help="Sensitivity: origin offsets as a "
                                                        "fraction of the cell size."),
             out: Path = OutOpt) -> None:
    """Rolling-origin month-ahead backtest of every method: hit rate, PAI, PEI, RRI, with a
    bootstrap band over the evaluated months and each method's ratio to the best simple
    baseline (last month, 12-month count, KDE)."""
    from vru.analysis.hotspots import backtest as bt
    from vru.analysis.hotspots import forecast as fc
    from vru.analysis.hotspots import service as svc
    from vru.analysis.hotspots import units as un
    from vru.analysis.hotspots.emerging import space_time_cube
    from vru.reports import hotspot_outputs as outputs

    ws = open_workspace(workspace)
    chosen = [m.strip() for m in methods.split(",") if m.strip()]
    bad = [m for m in chosen if m not in fc.METHODS]
    if bad:
        fail(f"unknown method(s) {', '.join(bad)}; choose from {', '.join(fc.METHODS)}")
    specs = {m: dict(fc.DEFAULT_SPECS[m]) for m in chosen}
    context = None
    if csv is not None:
        from vru.sources.event_files import read_dated_events

        e = read_dated_events(csv, x_col, y_col, date_col, crs, dedupe)
        try:
            x, y, step, labels = e.by_month(start, end)
        except ValueError as exc:
            fail(str(exc))
        data = e.data
        w = np.ones(len(x))
        cell = float(size if size is not None else ws.settings.grid.cell_size_m)
        oe = float(origin_e or 0.0)
        on = float(origin_n or 0.0)
        missing: list[str] = []
    else:
        q = _query(ws, crime_type, start, end, source, "grid", size, origin_e, origin_n, 9,
                   weighting, harm_table, area=area)
        try:
            ev, q = svc.events_for(ws, q)
            every, _ = svc.events_for(ws, replace(q, crime_types=svc.ALL_CRIME,
                                                  weighting="count", harm_table=None))
        except ValueError as exc:
            fail(str(exc))
        x, y, step, w, labels, data = ev.x, ev.y, ev.step, ev.weight, ev.months, ev.data
        cell, oe, on = q.size, q.origin_e, q.origin_n
        missing = ev.missing
    units = un.grid_units(x, y, cell, oe, on, extent="events")
    events = bt.EventSet(x, y, step, w, labels)
    n = len(labels)
    if eval_months >= n:
        fail(f"need history before the {eval_months} evaluated months; data has {n} months")
    steps = list(range(n - eval_months, n))
    static, static_note = None, {"static_features": "none (events from a CSV)"}
    if csv is None:
        context = space_time_cube(units.assign(every.x, every.y), every.step, len(units),
                                  len(labels))
        static, static_note = svc.cell_context(ws, units, every, before_step=steps[0])
    covs = _floats(coverages, "--coverages")
    trials: list = []
    try:
        res = bt.backtest(events, units, steps, specs, covs, study, context=context,
                          static=static, tuning=trials)
    except ValueError as exc:
        fail(str(exc))
    summ = bt.summarise(res)
    boot = bt.bootstrap(res)
    params = {"units": units.describe(), "n_units": len(units), "weighting": weighting,
              "methods": chosen,
              "method_settings": {m: res[res["method"] == m]["params"].iloc[0] for m in chosen},
              "coverages_pct": covs, "study_area": study,
              "evaluated": [labels[s] for s in steps], "horizon": "1 month ahead",
              "missing_months": missing, **static_note,
              "steps": "months with data (a missing month is never scored or modelled)"}
    area_def = summ["area_definition"].iloc[0]
    _print_df(summ[["method", "coverage_pct", "hit_rate", "pai", "pei", "rri"]],
              f"Backtest {labels[steps[0]]}..{labels[steps[-1]]} ({units.describe()}; "
              f"PAI area = {area_def}, {int(summ['area_units'].iloc[0])} units)")
    _print_df(boot[["method", "coverage_pct", "pai", "pai_lo", "pai_hi", "pei", "ratio",
                    "ratio_lo", "ratio_hi"]],
              f"Mean PAI and PEI with 95% bootstrap bands over {len(steps)} months; ratio = "
              f"mean PAI / the best simple baseline's")
    headline = {}
    if 5.0 in covs:
        best, best_pai = bt.best_method(summ, 5.0)
        at5 = summ[summ["coverage_pct"] == 5.0].set_index("method")["pai"]
        b5 = boot[boot["coverage_pct"] == 5.0].set_index("method")
        headline = {"best_method": best, "best_pai_5": best_pai,
                    "naive_pai_5": float(at5.get("naive", np.nan)), "area_definition": area_def,
                    "best_simple_baseline_5": b5["best_baseline"].iloc[0] if len(b5) else None}
        console.print(f"PAI at 5% coverage: best = {best} {best_pai:.2f}; naive (last month) "
                      f"= {headline['naive_pai_5']:.2f}  [area: {area_def}]")
        for model in ("gbm", "ensemble"):  # the models, next to the best simple baseline
            if model not in b5.index or not b5["best_baseline"].iloc[0]:
                continue
            g = b5.loc[model]
            headline.update({f"{model}_pai_5": g["pai"],
                             f"{model}_pai_5_band": [g["pai_lo"], g["pai_hi"]],
                             f"{model}_ratio_5": g["ratio"],
                             f"{model}_ratio_5_band": [g["ratio_lo"], g["ratio_hi"]]})
            console.print(f"{model} PAI@5% {g['pai']:.2f} [{g['pai_lo']:.2f}, "
                          f"{g['pai_hi']:.2f}]; best simple baseline {g['best_baseline']} "
                          f"{b5.loc[g['best_baseline'], 'pai']:.2f}; ratio {g['ratio']:.3f} "
                          f"[{g['ratio_lo']:.3f}, {g['ratio_hi']:.3f}]")
    if 5.0 in covs:
        ref = bt.foresight_reference(res, events, units, area=study)
        r5 = ref[ref["coverage_pct"] == 5.0].iloc[0]
        headline["foresight_reference_ratio_5"] = float(r5["ratio"])
        console.print(f"Foresight reference (USES THE FUTURE; a diagnostic, not a forecast): "
                      f"ranking by the 12 months before and after each month gives PAI@5% "
                      f"{r5['foresight_pai']:.2f}, {r5['ratio']:.3f}x the 12-month count: the "
                      f"room left for a better long-run estimate")
    if missing:
        console.print(f"[yellow]Missing months (never scored, never a zero in a model): "
                      f"{', '.join(missing)}[/]")
    d = outputs.out_dir(ws, "backtest", out)
    res.to_csv(d / "backtest_steps.csv", index=False)
    summ.to_csv(d / "backtest_summary.csv", index=False)
    boot.to_csv(d / "backtest_bootstrap.csv", index=False)
    files = [d / "backtest_steps.csv", d / "backtest_summary.csv", d / "backtest_bootstrap.csv"]
    if trials:
        pd.DataFrame(trials).to_csv(d / "gbm_tuning.csv", index=False)
        files.append(d / "gbm_tuning.csv")
    if sizes:
        offs = _floats(offsets, "--offsets")
        simple = {m: s for m, s in specs.items() if m not in ("gbm", "ensemble")}
        sens = bt.sensitivity(events, steps, _floats(sizes, "--sizes"), offs, simple, 5.0,
                              study)
        _print_df(sens[["grid_m", "offset_m", "method", "pai", "hit_rate"]],
                  "Sensitivity of PAI at 5% to grid size and offset")
        sens.to_csv(d / "sensitivity.csv", index=False)
        files.append(d / "sensitivity.csv")
        params.update({"sensitivity_sizes": sizes, "sensitivity_offsets": offs})
    _finish(ws, "backtest", d, params, data, headline, files)


@app.command()
def plan(workspace: Path = WorkspaceOption, crime_type: list[str] = CrimeTypes,
         start: str = FromOpt, end: str = ToOpt, source: str = SourceOpt,
         area: str = AreaOpt, unit: str = UnitOpt, size: float = SizeOpt,
         origin_e: float = OriginE, origin_n: float = OriginN, resolution: int = ResOpt,
         weighting: str = typer.Option("harm", "--weighting", help="count | harm"),
         harm_table: Path = HarmOpt, study_area: str = StudyOpt,
         top: int = typer.Option(None, help="Number of spots (default 15 unless --coverage)."),
         coverage: float = typer.Option(None, help="Or: % of the area to cover."),
         window_hours: int = typer.Option(2, help="Length of each patrol window."),
         windows: int = typer.Option(2, help="Number of patrol windows."),
         title: str = typer.Option("Hot spot patrol plan"), out: Path = OutOpt) -> None:
    """Top spots for the period with their share of harm; patrol windows; CSV/GeoJSON/HTML,
    with the plan's backtested hit rate and PAI."""
    from vru.analysis.hotspots import patrol as pt
    from vru.analysis.hotspots import service as svc
    from vru.reports import hotspot_outputs as outputs

    ws = open_workspace(workspace)
    if top is not None and coverage is not None:
        fail("give either --top or --coverage, not both")
    q = _query(ws, crime_type, start, end, source, unit, size, origin_e, origin_n, resolution,
               weighting, harm_table, area=area, study_area=study_area,
               top=top if top is not None else svc.DEFAULT_TOP)
    try:
        ev, q = svc.events_for(ws, q)
        p = svc.plan(ev, q, coverage)
    except ValueError as exc:
        fail(str(exc))
    spots, units, idx, w = p.spots, p.units, p.event_unit, ev.weight
    in_plan = np.isin(idx, pd.Index(units.ids).get_indexer(spots["unit_id"]))
    hours = pd.to_datetime(pd.Series(ev.occurred)).dt.hour.to_numpy(float)
    win = pt.patrol_windows(hours[in_plan], window_hours, windows, w[in_plan])
    spot_idx = pd.Index(units.ids).get_indexer(spots["unit_id"])
    spots["best_window"] = [_window_label(pt.patrol_windows(hours[idx == k], window_hours, 1,
                                                            w[idx == k]))
                            for k in spot_idx]
    params = {"query": q.as_dict(), "units": units.describe(), "n_units": len(units),
              "top": q.top if coverage is None else None, "coverage_pct": coverage,
              "period": ev.data["months"], "window_hours": window_hours, "windows": windows,
              "share_basis": "share of the period's harm inside the spots",
              "area": p.area.describe(), "missing_months": ev.missing}
    _print_df(spots[["rank", "unit_id", "harm", "share_pct", "cumulative_share_pct"]],
              f"Patrol plan: {len(spots)} spots, "
              f"{spots['cumulative_share_pct'].iloc[-1]:.1f}% of {weighting} in "
              f"{spots['cumulative_area_pct'].iloc[-1]:.2f}% of the area")
    console.print(f"Plan accuracy: {p.accuracy.label()}")
    _print_missing(ev.data)
    if len(win):
        _print_df(win, "Patrol windows (hour of day)")
    else:
        console.print("No event times (police.uk data has months only): no patrol windows.")
    d = outputs.out_dir(ws, "plan", out)
    meta = {"params": params, "data": ev.data, "accuracy": p.accuracy.as_dict()}
    files = outputs.write_plan(d, spots, units, title, meta, win, (ev.x, ev.y),
                               p.accuracy.label())
    _finish(ws, "plan", d, params, ev.data,
            {"spots": len(spots), "share_pct": float(spots["cumulative_share_pct"].iloc[-1]),
             "area_pct": float(spots["cumulative_area_pct"].iloc[-1]),
             "windows": win.to_dict("records"), "accuracy": p.accuracy.as_dict()}, files)


@app.command()
def dosage(workspace: Path = WorkspaceOption,
           plan_csv: Path = typer.Option(..., "--plan", help="plan.csv from `vru hotspots plan`."),
           gps: Path = typer.Option(None, help="GPS CSV: patrol_id, timestamp and lon/lat or "
                                               "easting/northing (default: the pings imported "
                                               "with `vru import patrols`)."),
           start: str = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
           end: str = typer.Option(None, "--to", help="Last day, YYYY-MM-DD."),
           size: float = typer.Option(None, help="Square spots of this side (m); default: "
                                                 "the workspace grid size."),
           radius: float = typer.Option(None, help="Or circular geofences of this radius (m)."),
           target: float = typer.Option(15.0, help="Target minutes per spot per day."),
           max_gap: float = typer.Option(5.0, help="Longest ping gap credited (minutes)."),
           out: Path = OutOpt) -> None:
    """Minutes in each planned spot per day from patrol GPS, against the target."""
    from vru.analysis.hotspots import dosage as dos
    from vru.analysis.hotspots import store
    from vru.reports import hotspot_outputs as outputs
    from vru.sources import event_files

    ws = open_workspace(workspace)
    plan_df = event_files.read_plan(plan_csv)
    if radius is None and size is None:
        size = float(ws.settings.grid.cell_size_m)
    spots = dos.spots_from_plan(plan_df, size=None if radius else size, radius=radius)
    if gps is not None:
        pings = event_files.read_gps(gps)
        gps_data = {"gps": str(gps)}
        if start:
            pings = pings[pings["timestamp"] >= pd.Timestamp(start)]
        if end:
            pings = pings[pings["timestamp"] < pd.Timestamp(end) + pd.Timedelta(days=1)]
        if pings.empty:
            fail(f"{gps}: no pings in that period")
    else:
        try:
            pings, gps_data = store.load_pings(ws, start, end)
        except ValueError as exc:
            fail(str(exc))
    mins = dos.dosage(pings, spots, max_gap)
    days = pd.date_range(pings["timestamp"].min().date(), pings["timestamp"].max().date())
    per, summ = dos.compliance(mins, spots, days, target)
    gaps = dos.gps_gaps(pings, max_gap)
    _print_df(per[["unit_id", "planned_days", "days_met", "compliance_pct", "mean_minutes"]],
              f"Dosage against {target:g} minutes a day")
    console.print(f"Overall: {summ['spot_days_met']} of {summ['spot_days']} spot-days met the "
                  f"target ({summ['compliance_pct']:.1f}%). GPS gaps > {max_gap:g} min: "
                  f"{int(gaps['gaps'].sum())} ({gaps['gap_minutes'].sum():.0f} min unseen).")
    d = outputs.out_dir(ws, "dosage", out)
    mins.to_csv(d / "minutes_per_spot_day.csv", index=False)
    per.to_csv(d / "compliance.csv", index=False)
    gaps.to_csv(d / "gps_gaps.csv", index=False)
    params = {"target_minutes": target, "max_gap_minutes": max_gap, "size_m": size,
              "radius_m": radius, "days": [str(days[0].date()), str(days[-1].date())]}
    data = {"plan": str(plan_csv), **gps_data, "pings": len(pings),
            "patrols": int(pings["patrol_id"].nunique())}
    _finish(ws, "dosage", d, params, data, summ,
            [d / "minutes_per_spot_day.csv", d / "compliance.csv", d / "gps_gaps.csv"])

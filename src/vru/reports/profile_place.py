"""Profile sections about place: map, neighbourhoods, concentration, hot spots, emerging places
and deprivation. Section functions of the profile (``vru.reports.profile``): each takes the
``ProfileContext`` and the section to fill."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vru.analysis import indicators as ind
from vru.reports import maps
from vru.reports.document import (
    CI,
    COUNT,
    LABEL,
    NUMBER,
    PERCENT,
    RATE,
    TEXT,
    Column,
    MapFigure,
    Paragraph,
    Section,
    Table,
)
from vru.reports.place_names import cell_names
from vru.reports.profile_data import lsoa_populations, table_exists
from vru.reports.publish import ordinal, words

CONFIDENCE = {1: 90, 2: 95, 3: 99}  # Gi* bin -> confidence level, as the map's legend

if TYPE_CHECKING:
    from vru.reports.profile import PoliceIndicator, ProfileContext


# ------------------------------------------------------------------ place


def place(ctx: ProfileContext, s: Section) -> None:
    p, a = ctx.period, ctx.local
    sv = next(i for i in ctx.inds if i.key == "sv")
    lsoa_rows = ctx.aq(
        f"""SELECT c.lsoa_code, any_value(c.lsoa_name), count(*) FROM area_crimes c
            WHERE {a.where} AND {sv.predicate}
            AND c.month BETWEEN ? AND ? AND c.lsoa_code IS NOT NULL GROUP BY 1""",
        [*a.params, p.first, p.last])
    counts = {c: int(n) for c, _, n in lsoa_rows}
    # Force extracts carry no LSOA names: take them from the geography pack when loaded.
    names = {c: nm for c, nm in ctx.aq(
        "SELECT lsoa_code, lsoa_name FROM geo_lsoa WHERE lsoa_code IN "
        "(SELECT unnest(?::VARCHAR[])) AND lsoa_name IS NOT NULL",
        [sorted(set(counts) | set(a.lsoa_codes))])}
    for c, nm, _ in lsoa_rows:
        if nm:
            names.setdefault(c, nm)
    pops = lsoa_populations(ctx.ws, a.lsoa_codes) if ctx.pop.total else {}
    _map(ctx, s, counts, names, pops)
    total = sum(counts.values())
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    area_rate = ind.crude_rate(ctx.cur.get("sv", 0), ctx.pop.total).value
    rows, above = [], []
    for code, n in top:
        r = ind.crude_rate(n, pops.get(code))
        sig = "not compared" if ctx.pub.hidden(n) else ind.compare_one(r, area_rate)
        rows.append([names.get(code) or code, code, ctx.pub.count(n),
                     *ctx.pub.rate_cells(n, r), sig, ctx.pub.share(n, total)])
        if sig == "higher":
            above.append(names.get(code) or code)
    if rows:
        t = s.add(Table("t_lsoa", "Neighbourhoods (LSOAs) with the most serious violence",
                        [Column("LSOA", LABEL), Column("Code", LABEL),
                         Column("Count", COUNT), Column("Rate per 1,000", RATE),
                         Column("95% CI", CI), Column("Compared with area", TEXT),
                         Column("Share of area total", PERCENT)],
                        rows, note="Compared with the area's own serious violence rate. "
                                   "Residential rates can mislead in town centres, where "
                                   "few people live but many visit."))
        if above:
            k = "all" if len(above) == len(rows) else words(len(above))
            ctx._find(f"Of the {words(len(rows))} neighbourhoods with most serious "
                       f"violence, {k} had residential rates significantly above the "
                       "area's own rate.", t.id)
        code, n = top[0]
        share = ctx.pub.share(n, total)
        if isinstance(share, float):
            ctx._find(f"The neighbourhood with the most serious violence was "
                       f"{names.get(code) or code} ({ctx.pub.count_text(n)} offences, "
                       f"{share:.1f}% of the area's total).", t.id)
    _concentration(ctx, s, sv)
    _hotspots(ctx, s, sv)
    _emerging(ctx, s, sv)
    _deprivation(ctx, s, counts, pops)


def _map(ctx: ProfileContext, s: Section, counts: dict[str, int], names: dict[str, str],
         pops: dict[str, float]) -> None:
    a = ctx.local
    symbol = None if ctx.pub.privileged else ctx.pub.rule.symbol
    if a.lsoa_codes and table_exists(ctx.ws, "geo_lsoa_boundary") and ctx.ws.scalar(
            "SELECT count(*) FROM geo_lsoa_boundary"):
        geo = ctx.aq("SELECT b.lsoa_code, b.geojson FROM geo_lsoa_boundary b JOIN "
                          "(SELECT unnest(?::VARCHAR[]) AS code) x ON x.code = b.lsoa_code "
                          "ORDER BY 1", [a.lsoa_codes])
        if geo:
            _lsoa_map(ctx, s, geo, counts, names, pops, symbol)
            return
    g = ctx.ws.settings.grid
    sv = next(i for i in ctx.inds if i.key == "sv")
    cells = ctx.aq(
        f"""SELECT c.cell_e, c.cell_n, count(*) FROM area_crimes c WHERE {a.where}
            AND {sv.predicate} AND c.month BETWEEN ? AND ?
            AND c.cell_e IS NOT NULL GROUP BY 1, 2""",
        [*a.params, ctx.period.first, ctx.period.last])
    if not cells:
        s.add(Paragraph("No map: no records in this period carry a location."))
        return
    size = _map_cell_size(cells, g.cell_size_m)
    agg: dict[tuple[int, int], int] = {}
    for e, n, k in cells:
        key = (int(e // size * size), int(n // size * size))
        agg[key] = agg.get(key, 0) + int(k)
    vals = [ctx.pub.count(v) for v in agg.values()]
    cls, classes = maps.class_values(vals, symbol)
    keys = list(agg)
    shapes = maps.shapes_from_cells([k[0] for k in keys], [k[1] for k in keys], size, cls)
    svg = maps.render_svg(shapes, classes, f"Serious violence per {size:,} m square, "
                          f"{ctx.period.label}", "Offences",
                          note="No boundaries loaded: squares of the British National Grid.")
    s.add(MapFigure("m_grid", f"Serious violence per {size:,} m grid square", svg,
                    "Grid map of serious violence counts.", None))


def _lsoa_map(ctx: ProfileContext, s: Section, geo, counts: dict[str, int],
              names: dict[str, str], pops: dict[str, float], symbol: str | None) -> None:
    """Rates per 1,000 residents by LSOA when populations are loaded (counts otherwise);
    suppressed LSOAs in neutral grey; the five with most serious violence labelled."""
    by_rate = bool(pops)
    vals = []
    for c, _ in geo:
        n = counts.get(c, 0)
        pub = ctx.pub.count(n)
        if isinstance(pub, str) or not by_rate:
            vals.append(pub)
        else:
            # The rate of the published (rounded) count: a class boundary never gives back
            # a count the rounding hid.
            vals.append(ind.crude_rate(int(pub), pops.get(c)).value)
    cls, classes = maps.class_values(vals, symbol)
    shapes = maps.shapes_from_geojson([g for _, g in geo], cls, [names.get(c, c) for c, _ in geo])
    order = sorted(range(len(geo)), key=lambda i: (-counts.get(geo[i][0], 0), geo[i][0]))
    labels = []
    for i in order[:5]:
        code = geo[i][0]
        if not counts.get(code) or not shapes[i].rings:
            continue
        ring = max(shapes[i].rings, key=len)
        labels.append(maps.Label(float(ring[:, 0].mean()), float(ring[:, 1].mean()),
                                 names.get(code, code)))
    what = "rate per 1,000 residents" if by_rate else "offences"
    inset = maps.town_box(shapes)
    svg = maps.render_svg(shapes, classes, f"Serious violence {what} by LSOA, "
                          f"{ctx.period.label}", "Per 1,000 residents" if by_rate
                          else "Offences", labels=labels, inset=inset,
                          inset_title="Main town (dashed box)",
                          note="Labelled: the five neighbourhoods with most serious violence."
                          + (" Grey: suppressed (a small number)." if symbol else ""))
    s.add(MapFigure("m_lsoa", f"Serious violence {what} by neighbourhood (LSOA)", svg,
                    f"Choropleth map of the serious violence {what} by LSOA, with the five "
                    "neighbourhoods with most serious violence labelled"
                    + (" and the main town enlarged in an inset." if inset else "."),
                    "t_lsoa" if counts else None))


def _map_cell_size(cells, base: int) -> int:
    """A cell size giving a legible map (a few thousand squares at most)."""
    es = [c[0] for c in cells]
    ns = [c[1] for c in cells]
    span = max(max(es) - min(es), max(ns) - min(ns), base)
    size = base
    while span / size > 80:
        size *= 2
    return size


def _concentration(ctx: ProfileContext, s: Section, sv: PoliceIndicator) -> None:
    p, a = ctx.period, ctx.local
    g = ctx.ws.settings.grid
    vals = np.array([r[0] for r in ctx.aq(
        f"""SELECT count(*) FROM area_crimes c WHERE {a.where}
            AND {sv.predicate} AND c.month BETWEEN ? AND ? AND c.cell_e IS NOT NULL
            GROUP BY c.cell_e, c.cell_n""", [*a.params, p.first, p.last])],
        float)
    if len(vals) < 10:
        return
    shares = (1.0, 5.0, 10.0, 20.0)
    table = _concentration_table(vals, shares)
    rows = [[f"Busiest {x:.1f}% of cells", ctx.pub.count(int(units)), harm]
            for x, harm, units in table]
    t = s.add(Table("t_conc", f"Concentration of serious violence in {g.cell_size_m} m "
                    "grid cells", [Column("Cells", LABEL), Column("Number of cells", COUNT),
                                   Column("Share of serious violence", PERCENT)], rows,
                    note=f"Share of area = share of the {len(vals):,} cells with at least "
                         "one located offence in the period (police.uk locations are "
                         "snapped to nearby points)."))
    harm5 = next(h for x, h, _ in table if x == 5.0)
    ctx._find(f"Serious violence is concentrated: the busiest 5.0% of {g.cell_size_m} m "
               f"cells with any offence held {harm5:.1f}% of located serious violence.",
               t.id)


def _hotspots(ctx: ProfileContext, s: Section, sv: PoliceIndicator) -> None:
    """Gi* hot spots at patrol scale from the hot-spot service (the same answer as the map
    and `vru hotspots gistar`), on the profile's own area and period."""
    from vru.analysis.hotspots import service as svc
    from vru.analysis.hotspots.gistar import significance_label as gistar_significance
    p, a, g = ctx.period, ctx.local, ctx.ws.settings.grid
    pts = ctx.aq(
        f"""SELECT c.easting, c.northing, strftime(c.month, '%Y-%m') FROM area_crimes c
            WHERE {a.where} AND {sv.predicate} AND c.month BETWEEN ? AND ?
            AND c.easting IS NOT NULL""", [*a.params, p.first, p.last])
    if len(pts) < 30:
        return
    every = ctx.aq(
        f"""SELECT c.easting, c.northing FROM area_crimes c WHERE {a.where}
            AND c.month BETWEEN ? AND ? AND c.easting IS NOT NULL""",
        [*a.params, p.first, p.last])
    months = sorted({r[2] for r in pts})
    pos = {m: i for i, m in enumerate(months)}
    e = np.array([r[0] for r in pts], float)
    n = np.array([r[1] for r in pts], float)
    k = len(e)
    ev = svc.EventTable(e, n, np.array([pos[r[2]] for r in pts], np.int64), np.ones(k),
                        np.full(k, "", object), np.full(k, None, object),
                        np.full(k, None, object), months,
                        footprint=(np.array([r[0] for r in every], float),
                                   np.array([r[1] for r in every], float)))
    q = svc.HotspotQuery(size=float(g.cell_size_m), origin_e=float(g.origin_e),
                         origin_n=float(g.origin_n), top=10)
    m = svc.gistar(ev, q)
    units, res, y = m.units, m.result, m.values
    # "Hot" is the hot-spot service's one definition (hot at any confidence, as the map and
    # the CLI flag it), so the profile names the same cells as the map for the same question.
    hot = np.flatnonzero(m.hot)
    how = gistar_significance(res.params)
    if not len(hot):
        s.add(Paragraph("Hot spots: no grid cell is a statistically significant hot spot "
                        f"(Getis-Ord Gi*, 90% confidence or more, {how})."))
        return
    order = hot[np.lexsort((-res.z[hot], -y[hot]))]  # busiest first, then strongest
    in_hot = int(y[hot].sum())
    total = int(y.sum())
    # A z-score is computed from exact cell counts: a controlled profile gives the bin
    # (confidence) only, so it cannot be used to undo the disclosure control.
    exact = ctx.pub.privileged
    top = order[:10]
    half = float(g.cell_size_m) / 2
    names = cell_names(ctx.ws, [(float(units.x[i]) - half, float(units.y[i]) - half)
                                for i in top], float(g.cell_size_m), p.first, p.last)
    rows = [[name, ctx.pub.count(int(y[i])), float(res.z[i]) if exact else f"{CONFIDENCE[int(res.bin[i])]}%"]
            for name, i in zip(names, top, strict=True)]
    rows.append([f"All {words(len(hot))} hot-spot cells" if len(hot) <= 20
                 else f"All {len(hot):,} hot-spot cells", ctx.pub.count(in_hot), None])
    t = s.add(Table("t_hotspots", "Hot spots: grid cells with significant clustering of "
                    "serious violence", [Column("Place", LABEL), Column("Offences", COUNT),
                                           Column("Gi* z-score", NUMBER) if exact else
                                           Column("Confidence", TEXT)], rows,
                    note=f"Getis-Ord Gi* on {g.cell_size_m} m cells over "
                         f"{m.area.describe()}; neighbours within {m.distance_m:,.0f} m "
                         f"({m.params['distance_method']}); hot at 90% confidence or more, {how}; "
                         "the ten busiest hot-spot cells "
                         "shown, each named by the street most of its records are on or near "
                         "and its neighbourhood (LSOA). Accuracy of the map: {_accuracy_text(m.accuracy)}."))
    share = ctx.pub.share(in_hot, total)
    if isinstance(share, float):
        ctx._find(f"Hot-spot analysis (Getis-Ord Gi*) found {len(hot):,} grid cells of "
                   f"{g.cell_size_m} m with significant clustering; they held {share:.1f}% "
                   "of located serious violence.", t.id)


def _emerging(ctx: ProfileContext, s: Section, sv: PoliceIndicator) -> None:
    p, prev, a = ctx.period, ctx.prev, ctx.local
    rows = ctx.aq(
        f"""SELECT any_value(c.lsoa_name), c.lsoa_code,
                   count(*) FILTER (WHERE c.month BETWEEN ? AND ?) AS cur,
                   count(*) FILTER (WHERE c.month BETWEEN ? AND ?) AS bef
            FROM area_crimes c WHERE {a.where} AND {sv.predicate}
            AND c.month BETWEEN ? AND ? AND c.lsoa_code IS NOT NULL GROUP BY 2""",
        [p.first, p.last, prev.first, prev.last, *a.params, prev.first,
         p.last])
    names = dict(ctx.aq(
        "SELECT lsoa_code, lsoa_name FROM geo_lsoa WHERE lsoa_code IN "
        "(SELECT unnest(?::VARCHAR[])) AND lsoa_name IS NOT NULL", [[r[1] for r in rows]]))
    rising = []
    pvals = ind.change_p_values([r[3] for r in rows], [r[2] for r in rows])
    for (name, code, cur, bef), pv in zip(rows, pvals, strict=True):
        if pv < 0.01 and cur > bef:
            ch = ind.change_between(int(bef), int(cur), alpha=0.01)
            rising.append((int(cur) - int(bef), name or names.get(code) or code, code,
                           int(cur), int(bef), ch))
    rising.sort(key=lambda x: (-x[0], x[2]))
    if not rising:
        s.add(Paragraph("Emerging places: no neighbourhood's serious violence rose "
                        "significantly (exact test, 1% level) on the previous period."))
        return
    out = [[nm, code, ctx.pub.count(bef), ctx.pub.count(cur),
            ctx._change_text(ch)] for _, nm, code, cur, bef, ch in rising[:10]]
    t = s.add(Table("t_emerging", "Emerging places: neighbourhoods where serious violence "
                    "rose significantly", [Column("LSOA", LABEL), Column("Code", LABEL),
                                          Column(prev.label, COUNT),
                                          Column(p.label, COUNT), Column("Change", TEXT)],
                    out, note="Exact conditional test of the two periods' counts at the "
                              "1% level; at most ten shown."))
    visible = [r for r in rising if not (ctx.pub.hidden(r[3]) or ctx.pub.hidden(r[4]))]
    if visible:
        if len(rising) == 1:
            text = f"in one neighbourhood: {visible[0][1]}"
        else:
            text = f"in {words(len(rising))} neighbourhoods, most of all in {visible[0][1]}"
        ctx._find(f"Serious violence rose significantly {text}.", t.id)


def _deprivation(ctx: ProfileContext, s: Section, counts: dict[str, int], pops: dict[str, float]) -> None:
    if not ctx.ws.scalar("SELECT count(*) FROM geo_deprivation") or not pops:
        s.add(Paragraph("Rates by deprivation decile are not shown: "
                        + ("no deprivation data is loaded." if pops else
                           "no population denominators are loaded.")))
        return
    if table_exists(ctx.ws, "lsoa_deprivation"):
        # The geography pack's best-fit 2011 LSOA for each LSOA (deprivation is on 2011s).
        dec = dict(ctx.aq(
            "SELECT lsoa_code, imd_decile FROM lsoa_deprivation d WHERE imd_decile IS NOT "
            "NULL AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))", [list(pops)]))
    else:
        dec = {}
    if not dec:
        dec = dict(ctx.aq(
            "SELECT lsoa11_code, imd_decile FROM geo_deprivation d JOIN "
            "(SELECT unnest(?::VARCHAR[]) AS code) x ON x.code = d.lsoa11_code",
            [list(pops)]))
    if not dec:
        s.add(Paragraph("Rates by deprivation decile are not shown: none of the area's "
                        "LSOAs matched the IoD 2019 (2011 LSOA) codes."))
        return
    by: dict[int, list[float]] = {}
    for code, pop in pops.items():
        d = dec.get(code)
        if d is None:
            continue
        acc = by.setdefault(int(d), [0.0, 0.0])
        acc[0] += counts.get(code, 0)
        acc[1] += pop
    rows, rates = [], {}
    for d in sorted(by):
        c, pop = int(by[d][0]), by[d][1]
        r = ind.crude_rate(c, pop)
        cells = ctx.pub.rate_cells(c, r)
        rows.append([f"{ordinal(d)}" + (" (most deprived)" if d == 1 else
                                         " (least deprived)" if d == 10 else ""),
                     ctx.pub.count(c), *cells])
        if isinstance(cells[0], float):
            rates[d] = r
    matched = sum(1 for c in pops if c in dec)
    t = s.add(Table("t_depr", "Serious violence by deprivation decile of the neighbourhood",
                    [Column("IMD 2019 decile", LABEL), Column("Count", COUNT),
                     Column("Rate per 1,000", RATE), Column("95% CI", CI)], rows,
                    note=f"Deciles are national (England), from the IoD 2019 on 2011 LSOAs "
                         f"(best fit). {words(matched)} of the area's {words(len(pops))} LSOAs "
                         "have a decile; others are left out."))
    lo_d, hi_d = min(rates, default=None), max(rates, default=None)
    if lo_d is not None and hi_d is not None and lo_d != hi_d:
        most, least = rates[lo_d], rates[hi_d]
        if least.value:
            ctx._find(f"Serious violence rates were {most.value / least.value:.2f} times "
                       f"higher in the area's most deprived neighbourhoods "
                       f"({ordinal(lo_d)} decile) than in its least deprived "
                       f"({ordinal(hi_d)} decile).", t.id)


def _concentration_table(vals: np.ndarray, shares: tuple[float, ...]) -> list[tuple]:
    """(x%, share of events in the busiest x% of cells, number of cells), from the hotspot
    toolkit's concentration table (part of vru: a renamed module fails loudly)."""
    from vru.analysis.hotspots.concentration import harm_share_at

    df = harm_share_at(vals, None, shares)
    return [(float(r.area_pct), float(r.harm_pct), int(r.units)) for r in df.itertuples()]


def _accuracy_text(acc) -> str:
    """The map's backtested accuracy in published prose (the number of months in words, so it
    never reads as a count of offences)."""
    if not acc.months:
        return acc.label()
    return (f"backtested over {words(len(acc.months))} months ({acc.months[0]}.."
            f"{acc.months[-1]}): hit rate {100 * acc.hit_rate:.1f}%, PAI {acc.pai:.2f}")

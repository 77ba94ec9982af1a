"""The SNA's benchmarks: the area and its force against England and Wales and the force's most
similar group (``vru.analysis.benchmarks`` pools the rates; this module reads the counts and
populations through the Workspace and fills the section). Guide: docs/guide/sna.md, Benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vru import periods
from vru.analysis import benchmarks as bm
from vru.analysis import indicators as ind
from vru.reports.document import CI, COUNT, LABEL, RATE, TEXT, Column, Paragraph, Section, Table
from vru.reports.profile_data import force_populations
from vru.reports.publish import join_words, ordinal, words

if TYPE_CHECKING:
    from vru.reports.profile import ProfileContext

# The indicators every force's data can give (data.police.uk categories; force extracts map
# their offence codes to them), so forces on either source compare like with like.
KEYS = ("sv", "vso", "robbery", "weapons")


@dataclass
class ForceData:
    name: str
    months: int
    counts: dict[str, int]
    population: float | None
    population_source: str


def force_data(ctx: ProfileContext) -> list[ForceData]:
    """Every force in the canonical crime view with its counts over the period and its
    residents (the ONS police force area its records mostly fall in; None without the
    geography pack)."""
    p = ctx.period
    inds = [i for i in ctx.inds if i.key in KEYS and i.predicate]
    sums = ", ".join(f"count(*) FILTER (WHERE {i.predicate})" for i in inds)
    rows = ctx.ws.sql(
        f"""SELECT c.force_name, count(DISTINCT c.month) FILTER (WHERE c.crime_type <>
                   'Anti-social behaviour'), mode(c.pfa_code), {sums}
            FROM canonical_crimes c WHERE c.month BETWEEN ? AND ? GROUP BY 1 ORDER BY 1""",
        [p.first, p.last])
    pops = force_populations(ctx.ws, sorted({r[2] for r in rows if r[2]}),
                             periods.financial_year_start(p.first))
    out = []
    for name, months, pfa, *vals in rows:
        pop, src = None, "no population (no ONS geography pack)"
        if pfa:
            pop, src = pops[pfa].total, pops[pfa].source
        out.append(ForceData(name, int(months), {i.key: int(v) for i, v in zip(inds, vals,
                                                                              strict=True)},
                             pop, src))
    return out


def benchmarks(ctx: ProfileContext, s: Section) -> None:
    p = ctx.period
    data = force_data(ctx)
    n_months = len(p.months)
    whole = [f for f in data if f.months == n_months and f.population]
    partial = [f for f in data if f.months and f.months < n_months]
    no_pop = [f for f in data if f.months == n_months and not f.population]
    own = ctx.force.name if ctx.force is not None else ctx.area.name
    own_data = next((f for f in data if bm.force_key(f.name) == bm.force_key(own)), None)
    if own_data is None and len(data) == 1:
        own_data = data[0]  # a force named only by its records ("Falls within")
    own_name = own_data.name if own_data else own
    groups = ctx.ws.settings.benchmarks.most_similar_groups
    group = bm.group_for(groups, own_name) or bm.group_for(groups, own)
    members, missing = bm.group_members(group or [], [f.name for f in whole])
    if not whole or ctx.pop.total is None:
        s.add(Paragraph(
            "No benchmark against England and Wales or similar forces: "
            + ("no population denominators are loaded (import the ONS geography pack)."
               if ctx.pop.total is None or no_pop else
               "no force in this workspace has police data for every month of the period.")
            + " See the guide's Benchmarks page for how to import comparator forces."))
        return
    others = [f for f in whole if f.name != own_name]
    ew_forces = whole
    tables = _tables(ctx, own_data, [f for f in whole if f.name in members], ew_forces)
    t = s.add(Table(
        "t_benchmark", f"Serious violence against England and Wales and similar forces, {p.label}",
        [Column("Area", LABEL), Column("Offences", COUNT), Column("Residents", TEXT),
         Column("Rate per 1,000", RATE), Column("95% CI", CI),
         Column("Compared with England and Wales", TEXT)], tables[0],
        note=_method_note(ctx, ew_forces, members, missing, partial, no_pop)))
    s.add(Table("t_benchmark_types", f"Rates per 1,000 residents by offence group, {p.label}",
                [Column("Offences", LABEL), Column(ctx.area.name, RATE),
                 Column("Most similar group", RATE), Column("England and Wales", RATE)],
                tables[1], note="Pooled rates as in the table above; blank where no most "
                                "similar group is set or no other force is imported."))
    if not others:
        s.add(Paragraph(
            f"The England and Wales figure covers only {own_name}: no other force is imported "
            "for the whole period, so it is not yet a national benchmark. Import the "
            "data.police.uk files of other forces as comparators (guide: Benchmarks)."))
    if group is None:
        s.add(Paragraph(
            f"No most similar group is set for {own_name}: list its forces under "
            "benchmarks.most_similar_groups in the workspace settings (the Home Office / "
            "HMICFRS most similar group), and import their data.police.uk files."))
    ew = bm.pooled("England and Wales", [_fig(f, "sv") for f in ew_forces])
    area_rate = ind.crude_rate(ctx.cur.get("sv", 0), ctx.pop.total)
    if ew and others and area_rate.available and not ctx.pub.hidden(ctx.cur.get("sv", 0)):
        sig = ind.compare_one(area_rate, ew.rate.value)
        word = {"higher": "significantly higher than", "lower": "significantly lower than"}.get(
            sig, "similar to")
        ctx._find(f"Serious violence in {ctx.area.name} ({area_rate.value:.2f} per 1,000 "
                  f"residents) was {word} the rate across the {words(len(ew_forces))} forces "
                  f"imported for England and Wales ({ew.rate.value:.2f}).", t.id)
    group_forces = [f for f in whole if f.name in members]
    if own_data is not None and own_data.population and group_forces:
        rank = bm.rank_of(own_data.name, [_fig(f, "sv") for f in [own_data, *group_forces]])
        if rank is not None:
            ctx._find(f"{own_data.name} had the {ordinal(rank)} highest serious violence rate "
                      f"of the {words(len(group_forces) + 1)} forces of its most similar group "
                      "(itself included).", t.id)


def _fig(f: ForceData, key: str) -> bm.ForceFigure:
    return bm.ForceFigure(f.name, f.counts.get(key, 0), f.population)


def _tables(ctx: ProfileContext, own: ForceData | None, msg: list[ForceData],
            ew: list[ForceData]) -> tuple[list, list]:
    pub = ctx.pub
    ew_sv = bm.pooled("England and Wales", [_fig(f, "sv") for f in ew])
    # A pool of the area's own force alone is no benchmark: nothing is compared with it.
    national = ew_sv is not None and any(f is not own for f in ew)
    ew_val = ew_sv.rate.value if ew_sv and national else None

    def row(label: str, count: int, pop: float | None, source: str) -> list:
        r = ind.crude_rate(count, pop)
        sig = "not compared" if pub.hidden(count) else ind.compare_one(r, ew_val)
        return [label, pub.count(count), f"{pop:,.0f} ({source})" if pop else "not available",
                *pub.rate_cells(count, r), sig]

    rows = [row(ctx.area.name, ctx.cur.get("sv", 0), ctx.pop.total, _short(ctx.pop.source))]
    if own is not None and ctx.area.level != "force":
        rows.append(row(f"{own.name} (the force)", own.counts["sv"], own.population,
                        _short(own.population_source)))
    msg_sv = bm.pooled("Most similar group", [_fig(f, "sv") for f in msg])
    if msg_sv:
        rows.append(row(f"Most similar group ({join_words(list(msg_sv.forces))})", msg_sv.count,
                        msg_sv.population, "sum of the forces"))
        for f in msg:
            rows.append(row(f"  {f.name}", f.counts["sv"], f.population,
                            _short(f.population_source)))
    if ew_sv and national:
        rows.append(row(f"England and Wales ({words(len(ew_sv.forces))} imported forces)",
                        ew_sv.count, ew_sv.population, "sum of the forces"))
    types = []
    for i in ctx.inds:
        if i.key not in KEYS or not i.predicate:
            continue
        c = ctx.cur.get(i.key, 0)
        cells = [pub.rate_cells(c, ind.crude_rate(c, ctx.pop.total))[0]]
        for forces in (msg, ew if national else []):
            pl = bm.pooled("", [_fig(f, i.key) for f in forces])
            cells.append(pub.rate_cells(pl.count, pl.rate)[0] if pl else None)
        types.append([i.label, *cells])
    return rows, types


def _short(source: str) -> str:
    return source.replace("ONS mid-year population estimate", "ONS mid-year estimate")


def _method_note(ctx: ProfileContext, ew: list[ForceData], members: list[str],
                 missing: list[str], partial: list[ForceData], no_pop: list[ForceData]) -> str:
    years = sorted({f.population_source for f in ew} | {ctx.pop.source})
    text = ("Rates per 1,000 residents (" + "; ".join(years) + "). England and Wales is the "
            "pooled rate of every force imported for the whole period: the sum of their counts "
            f"over the sum of their residents ({join_words([f.name for f in ew])}); the most "
            "similar group is pooled the same way. Forces are counted by the force their records "
            "fall within, residents by the police force area of the ONS lookup. 'Compared with "
            "England and Wales' is higher or lower when the 95% interval excludes it.")
    if members or missing:
        text += (" Most similar group from the workspace settings (benchmarks."
                 "most_similar_groups).")
    if missing:
        text += (" Listed in the group but not imported for the whole period: "
                 f"{join_words(missing)}.")
    if partial:
        text += (" Left out, with police data for only part of the period: "
                 f"{join_words([f.name for f in partial])}.")
    if no_pop:
        text += (" Left out, with no population: "
                 f"{join_words([f.name for f in no_pop])}.")
    return text

"""The profile's programme section: what the VRU funds and who it reaches. A section function
of the profile (``vru.reports.profile``): it takes the ``ProfileContext`` (workspace, area,
period, publisher). Every count of people or referrals goes through the publisher (disclosure control);
money is not a count of people and is not suppressed; it is shown to the pound
(``publish.pounds``).

The programme is reported for the profile's financial year (the year the period ends in). For
a local authority profile, reach is the young people living in that authority; interventions,
the funnel and spend are the VRU's whole programme (commissioning is VRU-wide).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vru.programme import stats
from vru.programme.periods import fy_bounds, fy_of
from vru.programme.toolkit import BAND_TEXT, WARN_BANDS
from vru.reports.document import COUNT, LABEL, NUMBER, PERCENT, TEXT, Column, Paragraph, Section, Table
from vru.reports.profile_data import table_exists
from vru.reports.publish import pounds

if TYPE_CHECKING:
    from vru.reports.profile import ProfileContext


def programme(ctx: ProfileContext, s: Section) -> None:
    ws, pub = ctx.ws, ctx.pub
    if not table_exists(ws, "prog_interventions") or not ws.scalar(
            "SELECT count(*) FROM prog_interventions"):
        s.add(Paragraph("No programme is recorded in this workspace (interventions, "
                        "referrals and funding: see the programme guide)."))
        return
    fy = fy_of(ctx.period.last)
    by_area = {r["area"]: r["people"] for r in stats.reach(ws, ("area",), fy)}
    total = stats.reach(ws, (), fy)[0]["people"]
    local = by_area.get(ctx.area.name)
    where = (f"living in {ctx.area.name}" if local is not None
             else "across the VRU's whole area")
    people = local if local is not None else total
    s.add(Paragraph(
        f"In the financial year {fy} the VRU's programme supported "
        f"{pub.count_text(people)} young people {where} through one-to-one and group "
        "interventions (each young person counted once, however many referrals), plus "
        "universal and community activity reported in aggregate. Interventions are "
        "mapped to the Youth Endowment Fund Toolkit's published evidence."))
    ivs = stats.interventions(ws, fy)
    rows = []
    for r in ivs:
        uni = r["universal_reach"]
        denom = r["people"] + uni
        hidden = pub.hidden(r["people"]) or pub.hidden(uni)
        rows.append([r["name"], r["theme"], BAND_TEXT.get(r["band"], r["band"]),
                     pub.count(r["people"]), pub.count(r["completions"]), pub.count(uni),
                     pounds(r["spent_pence"]),
                     "" if hidden or not denom else pounds(r["spent_pence"] // denom)])
    t = s.add(Table("t_programme", f"Interventions, {fy}",
                    [Column("Intervention", LABEL), Column("Theme", TEXT),
                     Column("YEF Toolkit evidence", TEXT), Column("Young people engaged",
                                                                  COUNT),
                     Column("Completions", COUNT), Column("Universal reach", COUNT),
                     Column("Spent", TEXT), Column("Cost per person", TEXT)], rows,
                    note="Cost per person = spend / (young people engaged + universal "
                         "reach); withheld where a count is suppressed."))
    weak = [r for r in ivs if r["band"] in WARN_BANDS and r["spent_pence"] > 0]
    if weak:
        ctx._find(f"{pounds(sum(r['spent_pence'] for r in weak))} of programme spend in {fy} "
                   "went to interventions whose YEF Toolkit strand has no clear, "
                   "insufficient or harmful evidence: "
                   + ", ".join(r["name"] for r in weak) + ".", t.id)
    f = stats.funnel(ws, fy)
    frows, prev = [], None
    for st in f["stages"]:
        n = st["referrals"]
        conv = None if prev is None else pub.share(n, prev)
        frows.append([st["stage"], pub.count(n), conv])
        prev = n
    ft = s.add(Table("t_programme_funnel", f"Referral funnel, referrals received in {fy}",
                     [Column("Stage reached", LABEL), Column("Referrals", COUNT),
                      Column("Of the stage before", PERCENT)], frows,
                     note=f"Declined {pub.count_text(f['declined'])}; dropped out after "
                          f"starting {pub.count_text(f['dropped_out'])}."))
    started = f["stages"][3]["referrals"]
    completed = f["stages"][4]["referrals"]
    if started and not pub.hidden(started) and not pub.hidden(completed):
        ctx._find(f"Of {pub.count_text(started)} referrals received in {fy} that started "
                   f"an intervention, {pub.count_text(completed)} had completed it.", ft.id)
    spend = ws.sql("""
        SELECT coalesce(i.theme, '(not an intervention: ' || s.category || ')'),
               sum(s.amount_pence)::BIGINT
        FROM fund_spend s LEFT JOIN prog_interventions i USING (intervention_id)
        WHERE s.fy = ? GROUP BY 1 ORDER BY 1""", [fy])
    received = ws.scalar("SELECT coalesce(sum(amount_pence), 0) FROM fund_grants WHERE fy = ? "
                         "AND parent_grant_id IS NULL", [fy]) or 0
    spent = sum(p for _, p in spend)
    s.add(Table("t_programme_spend", f"Spend by theme, {fy}",
                [Column("Theme", LABEL), Column("Spent", TEXT), Column("Share", PERCENT)],
                [[t_, pounds(p), 100.0 * p / spent if spent else None] for t_, p in spend]
                + [["Total", pounds(spent), 100.0 if spent else None]],
                note=f"Received from funders in {fy}: {pounds(int(received))}. From the "
                     "funding ledger (vru funding check reconciles it)."))


def reach_by_area(ctx: ProfileContext, s: Section) -> None:
    """Provision and gaps (the SNA): young people the programme reached in each local
    authority, by theme, next to the serious violence recorded there in the same financial year,
    so that areas with much violence and little provision stand out."""
    ws, pub = ctx.ws, ctx.pub
    if not table_exists(ws, "prog_referrals") or not ws.scalar(
            "SELECT count(*) FROM prog_referrals"):
        return
    fy = fy_of(ctx.period.last)
    by_theme = stats.reach(ws, ("area", "theme"), fy)
    people = {r["area"]: int(r["people"]) for r in stats.reach(ws, ("area",), fy)}
    if not people:
        return
    themes = [t for t in ws.settings.programme.themes if any(r["theme"] == t for r in by_theme)]
    themes += sorted({r["theme"] for r in by_theme} - set(themes))
    cell = {(r["area"], r["theme"]): int(r["people"]) for r in by_theme}
    first, last = fy_bounds(fy)
    sv = dict(ws.sql("SELECT c.lad_name, count(*) FROM canonical_crimes c WHERE "
                     "c.serious_violence AND c.month BETWEEN ? AND ? AND c.lad_name IN "
                     "(SELECT unnest(?::VARCHAR[])) GROUP BY 1", [first, last, list(people)]))
    rows, per = [], {}
    for area in sorted(people, key=lambda a: (a == "unknown", a)):
        n, v = people[area], int(sv.get(area, 0))
        ratio = pub.ratio(n, v) if v else None
        if isinstance(ratio, float):
            ratio *= 100
            per[area] = ratio
        rows.append(["Area not recorded" if area == "unknown" else area,
                     *[pub.count(cell.get((area, t), 0)) for t in themes], pub.count(n),
                     pub.count(v) if area != "unknown" else None, ratio])
    t = s.add(Table(
        "t_provision_area", f"Young people reached by area and theme, {fy}",
        [Column("Local authority", LABEL), *[Column(th, COUNT) for th in themes],
         Column("All themes", COUNT), Column("Serious violence offences", COUNT),
         Column("Reached per 100 offences", NUMBER)], rows,
        note="Young people engaged in a one-to-one or group intervention in the financial year, "
             "by the local authority they live in (each counted once per theme and once in All "
             "themes). Serious violence: police-recorded offences in the same local authority "
             "and year (the workspace definition). A low figure in the last column marks a "
             "possible gap in provision, not a measure of need."))
    if len(per) >= 2:
        low = min(per, key=lambda a: per[a])
        high = max(per, key=lambda a: per[a])
        ctx._find(f"The programme reached {per[low]:.1f} young people per 100 serious violence "
                  f"offences in {low}, against {per[high]:.1f} in {high}: a possible gap in "
                  "provision.", t.id)

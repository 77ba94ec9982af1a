"""The problem profile / Strategic Needs Assessment for one area and period.

``build_profile(ws, area, period, privileged=False) -> Document`` reads the workspace, computes
the indicators with ``vru.analysis`` and assembles the document; ``vru.reports.render`` writes
it as HTML, PDF and DOCX. For non-privileged output every count passes through the workspace's
disclosure rule before it reaches the document, and anything derived from a suppressed count
(a rate, an interval, a comparison, a share) is suppressed with it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from vru.analysis import indicators as ind
from vru.analysis import trends
from vru.privacy import disclosure
from vru.reports import charts, maps
from vru.reports.document import (
    CI,
    COUNT,
    LABEL,
    NUMBER,
    PERCENT,
    RATE,
    TEXT,
    Chart,
    Column,
    Document,
    Finding,
    FindingList,
    MapFigure,
    Paragraph,
    Section,
    Table,
)
from vru.reports.partners import PARTNER_INDICATORS, PartnerResult, all_partner_counts
from vru.reports.profile_data import (
    VWI_OFFENCE_CODES,
    Area,
    area_lsoas,
    force_of,
    lsoa_populations,
    peer_areas,
    police_source,
    population_for,
    resolve_area,
    table_exists,
)
from vru.settings import Disclosure
from vru.workspace import Workspace

SMALL_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
               "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
               "seventeen", "eighteen", "nineteen", "twenty")


def words(n: int) -> str:
    """Small whole numbers that are not counts of events are written in words."""
    return SMALL_WORDS[n] if 0 <= n < len(SMALL_WORDS) else f"{n:,}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class Publisher:
    """Applies the disclosure rule (or not, for privileged users) to everything published."""

    rule: Disclosure
    privileged: bool

    def hidden(self, count: int | None) -> bool:
        return (not self.privileged) and disclosure.is_suppressed(count, self.rule)

    def count(self, count: int | float | None) -> int | str | None:
        if count is None:
            return None
        if self.privileged:
            return int(round(float(count)))
        return disclosure.apply(count, self.rule)

    def count_text(self, count: int) -> str:
        v = self.count(count)
        if isinstance(v, str):
            return "a small number (suppressed)"
        if self.privileged or self.rule.round_to <= 1:
            return f"{v:,}"
        return f"about {v:,}"

    def rate_cells(self, count: int, rate: ind.Rate) -> list:
        """[rate, (lower, upper)] cells, suppressed with the count."""
        if self.hidden(count):
            return [self.rule.symbol, self.rule.symbol]
        if not rate.available:
            return [None, None]
        return [rate.value, (rate.lower, rate.upper)]

    def share(self, part: int, whole: int) -> float | str | None:
        if whole <= 0:
            return None
        if self.hidden(part) or self.hidden(whole):
            return self.rule.symbol
        return 100.0 * part / whole


@dataclass
class PoliceIndicator:
    key: str
    label: str
    predicate: str | None   # SQL over crimes_geo c; None = not available from this source
    note: str = ""


def police_indicators(ws: Workspace, source: str) -> list[PoliceIndicator]:
    sv = ws.settings.serious_violence
    if source == "police_rms":
        codes = ", ".join(f"'{c}'" for c in sv.ho_offence_codes)
        vwi = ", ".join(f"'{c}'" for c in VWI_OFFENCE_CODES)
        sv_pred = f"c.ho_offence_code IN ({codes})"
        vwi_pred = f"c.ho_offence_code IN ({vwi})"
        knife = "c.knife_flag"
    else:
        cats = ", ".join("'" + c.replace("'", "''") + "'" for c in sv.police_uk_categories)
        sv_pred = f"c.crime_type IN ({cats})"
        vwi_pred = None
        knife = None
    return [
        PoliceIndicator("sv", "Serious violence (local definition)", sv_pred),
        PoliceIndicator("vso", "Violence and sexual offences (all)",
                        "c.crime_type = 'Violence and sexual offences'"),
        PoliceIndicator("vwi", "Violence with injury", vwi_pred,
                        "needs force extracts with Home Office offence codes"),
        PoliceIndicator("robbery", "Robbery", "c.crime_type = 'Robbery'"),
        PoliceIndicator("weapons", "Possession of weapons", "c.crime_type = 'Possession of "
                        "weapons'"),
        PoliceIndicator("knife", "Knife or sharp-instrument crime", knife,
                        "needs force extracts with a knife/sharp-instrument flag"),
    ]


def _counts(run, area: Area, source: str, inds: list[PoliceIndicator],
            first: date, last: date, table: str = "crimes_geo") -> dict[str, int]:
    """Indicator counts for an area; ``run(sql, params)`` executes (a workspace's ``sql``, or
    the builder's cursor, which also sees the area's rows as ``area_crimes``)."""
    avail = [i for i in inds if i.predicate]
    if not avail:
        return {}
    sums = ", ".join(f"count(*) FILTER (WHERE {i.predicate}) AS {i.key}" for i in avail)
    row = run(f"SELECT {sums} FROM {table} c WHERE {area.where} AND c.source = ? "
              "AND c.month BETWEEN ? AND ?", [*area.params, source, first, last])[0]
    return {i.key: int(v or 0) for i, v in zip(avail, row, strict=True)}


def _period_year(period: trends.Period) -> int:
    return trends.financial_year_start(period.first)


# =========================================================================== build
def build_profile(ws: Workspace, area: str | Area, period: str | trends.Period,
                  privileged: bool = False) -> Document:
    """Assemble the problem profile for ``area`` over ``period`` (see module docstring)."""
    a = resolve_area(ws, area) if isinstance(area, str) else area
    p = trends.parse_period(period) if isinstance(period, str) else period
    return _Builder(ws, a, p, privileged).build()


# The columns the sections read (the predicates use crime_type, ho_offence_code, knife_flag).
_AREA_COLUMNS = ("source, month, occurred_from, falls_within, easting, northing, cell_e, "
                 "cell_n, lsoa_code, lsoa_name, crime_type, ho_offence_code, victim_age, "
                 "victim_sex, suspect_pid, knife_flag, geo_method")


class _Builder:
    def __init__(self, ws: Workspace, area: Area, period: trends.Period, privileged: bool):
        self.ws = ws
        self.area = area
        self.period = period
        self.prev = period.previous()
        self.pub = Publisher(ws.settings.disclosure, privileged)
        self.source = police_source(ws, area, period)
        self.inds = police_indicators(ws, self.source)
        self.force = force_of(ws, area)
        self.peers = peer_areas(ws, area, self.force)
        self.findings: list[Finding] = []
        self.area.lsoa_codes = area_lsoas(ws, area)
        self.pop = population_for(ws, area, _period_year(period))
        # The area's records for the window every section looks at (four years to the end of
        # the period), fetched once and registered on the builder's own cursor as
        # ``area_crimes``; ``self.local`` is the area with its filter already applied.
        self._cur = ws.reader()
        lo = min(trends.add_months(period.last, -47), self.prev.first)
        rows = self._cur.execute(
            f"SELECT {_AREA_COLUMNS} FROM crimes_geo c WHERE {area.where} "
            "AND c.month BETWEEN ? AND ?",
            [*area.params, lo, period.last]).to_arrow_table()
        self._cur.register("area_crimes", rows)
        self.local = replace(area, where="TRUE", params=[])
        self.has_data = bool(self.aq(
            "SELECT count(*) FROM area_crimes c WHERE c.source = ? AND "
            "c.month BETWEEN ? AND ?", [self.source, period.first, period.last])[0][0])
        self.doc = Document(
            title=f"{area.name}: serious violence problem profile",
            subtitle=f"{area.level_name.capitalize()}, {self._period_text()}",
            privileged=privileged,
            marking=("PRIVILEGED: contains unrounded counts; do not publish" if privileged
                     else "Disclosure-controlled: suitable for partners and publication"),
            meta={"area": area.name, "area_level": area.level, "period": period.label,
                  "source": self.source,
                  "file_stem": f"profile-{area.name}-{period.label}"},
        )

    def aq(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a read query on the builder's cursor (which sees ``area_crimes``)."""
        return self._cur.execute(sql, params).fetchall()

    def _period_text(self) -> str:
        if trends.is_financial_year(self.period):
            return f"financial year {self.period.label}"
        return self.period.label

    # ------------------------------------------------------------------ build
    def build(self) -> Document:
        d = self.doc
        about = d.section("about", "About this profile")
        d.section("findings", "Key findings")
        self._about(about)
        self._headline(d.section("headline", "Headline indicators"))
        self._comparison(d.section("comparison", "Comparison with the force and peer areas"))
        self._trends(d.section("trends", "Trends"))
        self._people(d.section("people", "People: victims and suspects"))
        self._ed_gap(d.section("ed_gap", "The emergency department and police gap"))
        self._place(d.section("place", "Place: where violence happens"))
        self._coverage(d.section("coverage", "Data coverage and quality"))
        self._methods(d.section("methods", "Methods and definitions"))
        fs = d.sections[1]
        if self.findings:
            fs.add(FindingList(self.findings))
        else:
            fs.add(Paragraph("No police-recorded offences were found for this area and period, "
                             "so there are no findings to report."))
        return d.finalise()

    def _find(self, text: str, table_id: str) -> None:
        self.findings.append(Finding(text, table_id))

    # ------------------------------------------------------------------ about
    def _about(self, s: Section) -> None:
        src = ("force crime extracts" if self.source == "police_rms"
               else "data.police.uk street-level crime data")
        s.add(Paragraph(
            f"This profile describes serious violence in {self.area.name} "
            f"({self.area.level_name}) in {self._period_text()} "
            f"({trends.month_label(self.period.first)} to {trends.month_label(self.period.last)})"
            f", compared with the previous period ({self.prev.label}). Police figures come "
            f"from {src}; partner figures from whatever each partner has supplied to the "
            "workspace (see Data coverage and quality)."))
        if self.force is not None:
            s.add(Paragraph(f"The benchmark is the police force area: {self.force.name}."))
        if self.pop.total is None:
            s.add(Paragraph("Rates per 1,000 residents are unavailable: no population "
                            "denominators are loaded in this workspace (import the ONS "
                            "geography pack to add them). Counts are shown instead."))
        if not self.pub.privileged:
            r = self.pub.rule
            s.add(Paragraph(
                f"Counts are disclosure-controlled: counts from one to {words(r.suppress_max)} "
                f"are shown as {r.symbol}"
                + (f", other counts are rounded to the nearest {words(r.round_to)}"
                   if r.round_to > 1 else "")
                + ", and rates, intervals and comparisons based on a suppressed count are "
                "suppressed too."))
        if not self.has_data:
            s.add(Paragraph("No police-recorded crime was found for this area and period."))

    # ------------------------------------------------------------------ headline
    def _headline(self, s: Section) -> None:
        p, prev = self.period, self.prev
        cur = _counts(self.aq, self.local, self.source, self.inds, p.first, p.last,
                      "area_crimes")
        before = _counts(self.aq, self.local, self.source, self.inds, prev.first, prev.last,
                         "area_crimes")
        fcur: dict[str, int] = {}
        fpop = None
        if self.force is not None:
            fcur = _counts(self.ws.sql, self.force, self.source, self.inds, p.first, p.last)
            fpop = population_for(self.ws, self.force, _period_year(p)).total
        self.cur, self.before, self.fcur, self.fpop = cur, before, fcur, fpop
        rows = []
        for i in self.inds:
            if i.predicate is None:
                rows.append([i.label, "not available", None, None, None, "not compared",
                             None, i.note])
                continue
            c, b = cur[i.key], before[i.key]
            r = ind.crude_rate(c, self.pop.total)
            fr = ind.crude_rate(fcur.get(i.key, 0), fpop) if self.force is not None else None
            sig = ind.compare_one(r, fr.value if fr else None)
            if self.pub.hidden(c) or (fr is not None and self.pub.hidden(fcur.get(i.key, 0))):
                sig = "not compared"
            ch = ind.change_between(b, c)
            change = self._change_text(ch)
            rows.append([i.label, self.pub.count(c), *self.pub.rate_cells(c, r),
                         (self.pub.rate_cells(fcur.get(i.key, 0), fr)[0] if fr else None),
                         sig, self.pub.count(b), change])
        self.partner = all_partner_counts(
            self.ws, self.area, p.first, trends.add_months(p.last, 1), prev.first)
        for res in self.partner.values():
            rows.append(self._partner_row(res))
        t = s.add(Table(
            "t_headline", "Headline indicators",
            [Column("Indicator", LABEL), Column(f"Count {p.label}", COUNT),
             Column("Rate per 1,000", RATE), Column("95% CI", CI),
             Column("Force rate", RATE), Column("Compared with force", TEXT),
             Column(f"Count {prev.label}", COUNT), Column("Change", TEXT)],
            rows,
            note=("Rates per 1,000 residents (" + self.pop.source + "); 95% confidence "
                  "intervals by Byar's method (exact below ten). 'Compared with force' is "
                  "higher/lower when the interval excludes the force rate. Change: exact "
                  "conditional test of the two periods' counts; '(rose)' or '(fell)' "
                  "marks a change significant at the 5% level."
                  if self.pop.total else "No population denominators loaded: rates "
                  "unavailable. '(rose)' or '(fell)' marks a change significant at the 5% "
                  "level (exact conditional test).")))
        sv, sv_before = cur.get("sv", 0), before.get("sv", 0)
        if sv:
            rate = ind.crude_rate(sv, self.pop.total)
            text = (f"The police recorded {self.pub.count_text(sv)} serious violence offences in "
                    f"{self.area.name} in {self._period_text()}")
            if rate.available and not self.pub.hidden(sv):
                text += f", {rate.value:.2f} per 1,000 residents"
                if self.force is not None and fpop and not self.pub.hidden(fcur.get("sv", 0)):
                    frate = ind.crude_rate(fcur.get("sv", 0), fpop)
                    sig = ind.compare_one(rate, frate.value)
                    text += {"higher": ": significantly higher than",
                             "lower": ": significantly lower than",
                             }.get(sig, ": similar to")
                    text += f" the {self.force.name} rate of {frate.value:.2f}"
            self._find(text + ".", t.id)
            ch = ind.change_between(sv_before, sv)
            if not (self.pub.hidden(sv) or self.pub.hidden(sv_before)) and sv_before:
                pct = 100.0 * (sv - sv_before) / sv_before
                if ch.direction == "no significant change":
                    self._find(f"Serious violence was little changed on {prev.label} "
                               f"({pct:+.1f}%, not statistically significant).", t.id)
                else:
                    self._find(f"Serious violence {ch.direction} by {abs(pct):.1f}% on "
                               f"{prev.label} (statistically significant, exact test).", t.id)
        for i in self.inds:
            if i.key in ("sv", "vso") or i.predicate is None:
                continue
            c, b = cur[i.key], before[i.key]
            if self.pub.hidden(c) or self.pub.hidden(b) or not b:
                continue
            ch = ind.change_between(b, c)
            if ch.direction != "no significant change":
                self._find(f"{i.label} {ch.direction} by {abs(100.0 * (c - b) / b):.1f}% on "
                           f"{prev.label} ({self.pub.count_text(c)} offences).", t.id)
        for res in self.partner.values():
            if not res.supplied:
                continue
            c, b = int(res.count or 0), int(res.previous or 0)
            if self.pub.hidden(c) or self.pub.hidden(b) or not b:
                continue
            ch = ind.change_between(b, c)
            if ch.direction != "no significant change":
                self._find(f"{res.indicator.label} {ch.direction} by "
                           f"{abs(100.0 * (c - b) / b):.1f}% on {prev.label} "
                           f"({self.pub.count_text(c)} in {p.label}).", t.id)

    def _change_text(self, ch: ind.Change) -> str:
        if self.pub.hidden(ch.before) or self.pub.hidden(ch.after):
            return self.pub.rule.symbol
        if ch.before == 0:
            return "new" if ch.after else "none"
        pct = 100.0 * (ch.after - ch.before) / ch.before
        # Only a statistically significant change is named; the notes say so.
        return f"{pct:+.1f}%" + (f" ({ch.direction})" if ch.direction in ("rose", "fell")
                                 else "")

    def _partner_row(self, res: PartnerResult) -> list:
        lab = res.indicator.label
        if not res.supplied:
            return [lab, res.note, None, None, None, "not compared", None, ""]
        c = int(res.count or 0)
        denom = self.pop.under25 if res.indicator.per_population == "under25" else self.pop.total
        r = ind.crude_rate(c, denom)
        return [lab, self.pub.count(c), *self.pub.rate_cells(c, r), None, "not compared",
                self.pub.count(res.previous or 0),
                self._change_text(ind.change_between(int(res.previous or 0), c))]

    # ------------------------------------------------------------------ comparison
    def _comparison(self, s: Section) -> None:
        p = self.period
        if not self.peers:
            s.add(Paragraph("No peer areas were found (no other local authorities in the "
                            "force in this workspace)."))
            return
        sv_ind = [i for i in self.inds if i.key == "sv"]
        rows, labels, rv, lo, hi = [], [], [], [], []
        frate = None
        if self.force is not None and self.fpop:
            frate = ind.crude_rate(self.fcur.get("sv", 0), self.fpop).value
        higher = []
        for peer in self.peers:
            c = _counts(self.ws.sql, peer, self.source, sv_ind, p.first, p.last)["sv"]
            pop = population_for(self.ws, peer, _period_year(p)).total
            r = ind.crude_rate(c, pop)
            sig = ind.compare_one(r, frate)
            if self.pub.hidden(c):
                sig = "not compared"
            cells = self.pub.rate_cells(c, r)
            rows.append([peer.name, self.pub.count(c), *cells, sig])
            labels.append(peer.name)
            ok = isinstance(cells[0], float)
            rv.append(cells[0] if ok else None)
            lo.append(r.lower if ok else None)
            hi.append(r.upper if ok else None)
            if sig == "higher":
                higher.append(peer.name)
        if self.force is not None:
            fc = self.fcur.get("sv", 0)
            fr = ind.crude_rate(fc, self.fpop)
            rows.append([f"{self.force.name} (force)", self.pub.count(fc),
                         *self.pub.rate_cells(fc, fr), "benchmark"])
        t = s.add(Table("t_peers", f"Serious violence by local authority, {p.label}",
                        [Column("Area", LABEL), Column("Count", COUNT),
                         Column("Rate per 1,000", RATE), Column("95% CI", CI),
                         Column("Compared with force", TEXT)], rows,
                        note="Peer areas are the local authorities of the same force."))
        if any(v is not None for v in rv):
            s.add(Chart("c_peers", "Serious violence rate per 1,000 residents with 95% "
                        "confidence intervals", charts.rate_chart(labels, rv, lo, hi, frate,
                                                                  "Serious violence rate"),
                        "Dot plot of rates by local authority with interval bars and the force "
                        "rate as a dashed line.", t.id))
        if higher and self.force is not None:
            n = len(self.peers)
            self._find(f"Of the {words(n)} local authorities in {self.force.name}, "
                       f"{_join(higher)} had serious violence rates significantly above the "
                       "force rate.", t.id)

    # ------------------------------------------------------------------ trends
    def _trends(self, s: Section) -> None:
        p, a = self.period, self.local
        sv = next(i for i in self.inds if i.key == "sv")
        start = trends.add_months(p.last, -47)
        rows = self.aq(f"SELECT c.month, count(*) FROM area_crimes c WHERE {a.where} AND "
                      f"c.source = ? AND {sv.predicate} AND c.month BETWEEN ? AND ? "
                      "GROUP BY 1 ORDER BY 1", [*a.params, self.source, start, p.last])
        bounds = self.aq(f"SELECT min(c.month), max(c.month) FROM area_crimes c WHERE {a.where} "
                        "AND c.source = ?", [*a.params, self.source])[0]
        if not rows or bounds[0] is None:
            s.add(Paragraph("No serious violence was recorded in this period."))
            return
        first = max(start, bounds[0])
        months = [r[0] for r in rows]
        counts = [r[1] for r in rows]
        series = trends.monthly_series(months, counts, first, p.last)
        pub_series = series.copy()
        pub_series["count"] = [None if isinstance(v, str) else v
                               for v in (self.pub.count(c) for c in series["count"])]
        roll = [None if pd.isna(v) else self.pub.count(v) for v in series["rolling_12"]]
        pub_series["rolling_mean_12"] = [v / 12 if isinstance(v, int) else None for v in roll]
        s.add(Chart("c_monthly", "Serious violence per month, with the 12-month rolling "
                    "average", charts.monthly_chart(pub_series, "Serious violence per month"),
                    "Bar chart of monthly serious violence with a line for the 12-month "
                    "rolling average.", "t_fy"))
        fy = trends.by_financial_year(series["month"], series["count"])
        fy_rows, prev_c = [], None
        for _, r in fy.iterrows():
            c = int(r["count"])
            change = None
            if prev_c is not None and int(r["months"]) == 12:
                change = self._change_text(ind.change_between(prev_c, c))
            fy_rows.append([r["financial_year"], self.pub.count(c),
                            f"{words(int(r['months']))} of twelve", change])
            prev_c = c if int(r["months"]) == 12 else None
        s.add(Table("t_fy", "Serious violence by financial year",
                        [Column("Financial year", LABEL), Column("Count", COUNT),
                         Column("Months of data", TEXT), Column("Change on previous year",
                                                                TEXT)], fy_rows,
                        note="Financial years run April to March. Change is shown only "
                             "between complete years."))
        season = trends.seasonality(series["month"], series["count"])
        totals = series.groupby(pd.to_datetime(series["month"]).dt.month)["count"].sum()
        s_rows, best = [], None
        for _, r in season.iterrows():
            tot = int(totals.get(int(r["calendar_month"]), 0))
            if self.pub.hidden(tot) or pd.isna(r["mean"]):
                s_rows.append([r["month_name"], self.pub.rule.symbol if self.pub.hidden(tot)
                               else None, None])
                continue
            s_rows.append([r["month_name"], float(r["mean"]), float(r["index"])])
            if best is None or r["index"] > best[1]:
                best = (r["month_name"], float(r["index"]))
        ts = s.add(Table("t_season", "Seasonality: average serious violence per calendar month",
                         [Column("Month", LABEL), Column("Average per month", NUMBER),
                          Column("Index (1.00 = average month)", NUMBER)], s_rows,
                         note=f"Averages over the months of data from "
                              f"{trends.month_label(first)} to {trends.month_label(p.last)}."))
        if best and best[1] > 1.05 and len(series) >= 24:
            self._find(f"Serious violence is seasonal: {_month_full(best[0])} is the busiest "
                       f"month, {100 * (best[1] - 1):.1f}% above an average month.", ts.id)
        self._time_of_day(s, sv)
        self._crime_types(s)

    def _time_of_day(self, s: Section, sv: PoliceIndicator) -> None:
        p, a = self.period, self.local
        ts = self.aq(
            f"SELECT c.occurred_from FROM area_crimes c WHERE {a.where} AND c.source = ? AND "
            f"{sv.predicate} AND c.month BETWEEN ? AND ? AND c.occurred_from IS NOT NULL",
            [*a.params, self.source, p.first, p.last])
        if not ts:
            s.add(Paragraph("Time of day and day of week are not shown: these records carry "
                            "only the month (data.police.uk), not the time of the offence."))
            return
        grid = trends.time_of_day_by_weekday([r[0] for r in ts])
        pub = [[None if isinstance(v, str) else v for v in
                (self.pub.count(int(x)) for x in row)] for row in grid]
        flat = sorted(((int(grid[d, h]), d, h) for d in range(7) for h in range(24)),
                      reverse=True)[:8]
        rows = [[trends.DAY_NAMES[d], f"{h:02d}:00 to {h:02d}:59", self.pub.count(c)]
                for c, d, h in flat]
        t = s.add(Table("t_tod", "The busiest hours of the week for serious violence",
                        [Column("Day", LABEL), Column("Hour", LABEL), Column("Count", COUNT)],
                        rows, note="From the recorded time the offence started."))
        s.add(Chart("c_tod", "Serious violence by hour of day and day of week",
                    charts.heatmap(pub, "Serious violence by hour and day"),
                    "Heat map of offences by hour (columns) and weekday (rows).", t.id))
        c, d, h = flat[0]
        # Weekend nights: Friday and Saturday 22:00 to 03:59 the next morning.
        night = int(grid[4, 22:].sum() + grid[5, :4].sum() + grid[5, 22:].sum()
                    + grid[6, :4].sum())
        total = int(grid.sum())
        if not self.pub.hidden(c):
            text = (f"The busiest hour of the week was {trends.DAY_NAMES[d]} {h:02d}:00 to "
                    f"{h:02d}:59")
            share = self.pub.share(night, total)
            if isinstance(share, float):
                text += (f"; Friday and Saturday nights (22:00 to 03:59) held {share:.1f}% "
                         "of timed serious violence")
            self._find(text + ".", t.id)

    def _crime_types(self, s: Section) -> None:
        p, prev, a = self.period, self.prev, self.local
        rows = self.aq(
            f"""SELECT c.crime_type, count(*) FILTER (WHERE c.month BETWEEN ? AND ?),
                       count(*) FILTER (WHERE c.month BETWEEN ? AND ?)
                FROM area_crimes c WHERE {a.where} AND c.source = ? AND c.month BETWEEN ? AND ?
                GROUP BY 1 ORDER BY 2 DESC, 1""",
            [p.first, p.last, prev.first, prev.last, *a.params, self.source, prev.first,
             p.last])
        out = [[t, self.pub.count(c), self.pub.count(b),
                self._change_text(ind.change_between(int(b), int(c)))] for t, c, b in rows]
        s.add(Table("t_types", "All police-recorded crime by type",
                    [Column("Crime type", LABEL), Column(p.label, COUNT),
                     Column(prev.label, COUNT), Column("Change", TEXT)], out,
                    note="Police-recorded crime of every type in the area, for context. "
                         "'(rose)' or '(fell)' marks a significant change (5% level)."))

    # ------------------------------------------------------------------ people
    def _people(self, s: Section) -> None:
        p, a = self.period, self.local
        sv = next(i for i in self.inds if i.key == "sv")
        has = self.aq(
            f"""SELECT count(*), count(c.victim_age), count(c.victim_sex), count(c.suspect_pid)
                FROM area_crimes c WHERE {a.where} AND c.source = ? AND {sv.predicate}
                AND c.month BETWEEN ? AND ?""", [*a.params, self.source, p.first, p.last])[0]
        total, n_age, n_sex, n_sus = has
        repeat_done = self._repeat_admissions(s)
        self._fte_people(s)
        if not (n_age or n_sex or n_sus):
            s.add(Paragraph("Victim and suspect details are not available: data.police.uk "
                            "records carry no age, sex or identifiers. Import force extracts "
                            "to add them."
                            + ("" if repeat_done else " Repeat victimisation needs victim "
                               "identifiers, which no source in this workspace supplies.")))
            return
        if n_age or n_sex:
            rows = self.aq(
                f"""SELECT CASE WHEN c.victim_age IS NULL THEN 'Not recorded'
                             WHEN c.victim_age < 18 THEN 'Under 18'
                             WHEN c.victim_age < 25 THEN '18 to 24'
                             WHEN c.victim_age < 35 THEN '25 to 34'
                             WHEN c.victim_age < 50 THEN '35 to 49'
                             ELSE '50 and over' END AS band,
                       count(*) FILTER (WHERE lower(c.victim_sex) IN ('m', 'male')),
                       count(*) FILTER (WHERE lower(c.victim_sex) IN ('f', 'female')),
                       count(*)
                FROM area_crimes c WHERE {a.where} AND c.source = ? AND {sv.predicate}
                AND c.month BETWEEN ? AND ? GROUP BY 1""",
                [*a.params, self.source, p.first, p.last])
            order = ["Under 18", "18 to 24", "25 to 34", "35 to 49", "50 and over",
                     "Not recorded"]
            rows.sort(key=lambda r: order.index(r[0]))
            out = [[b, self.pub.count(m), self.pub.count(f), self.pub.count(n),
                    self.pub.share(n, total)] for b, m, f, n in rows]
            t = s.add(Table("t_victims", "Victims of serious violence by age and sex",
                            [Column("Victim age", LABEL), Column("Male", COUNT),
                             Column("Female", COUNT), Column("All", COUNT),
                             Column("Share", PERCENT)], out,
                            note="Sex not recorded is included in All."))
            u25 = sum(n for b, _, _, n in rows if b in ("Under 18", "18 to 24"))
            known = sum(n for b, _, _, n in rows if b != "Not recorded")
            if known and not self.pub.hidden(u25) and not self.pub.hidden(known):
                lo, hi = ind.wilson_interval(u25, known)
                self._find(f"Under-25s were {100 * u25 / known:.1f}% of serious violence "
                           f"victims whose age was recorded (95% CI {100 * float(lo):.1f}% "
                           f"to {100 * float(hi):.1f}%).", t.id)
        if n_sus:
            r = self.aq(
                f"""WITH s AS (SELECT c.suspect_pid, count(*) n FROM area_crimes c
                    WHERE {a.where} AND c.source = ? AND {sv.predicate}
                    AND c.month BETWEEN ? AND ? AND c.suspect_pid IS NOT NULL GROUP BY 1)
                    SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0),
                           coalesce(sum(n) FILTER (WHERE n > 1), 0) FROM s""",
                [*a.params, self.source, p.first, p.last])[0]
            people, repeat, offences, rep_off = (int(x) for x in r)
            t = s.add(Table("t_suspects", "Repeat suspects (pseudonymised identifiers)",
                            [Column("Measure", LABEL), Column("Count", COUNT),
                             Column("Share", PERCENT)],
                            [["Distinct suspects", self.pub.count(people), None],
                             ["Suspects linked to more than one offence", self.pub.count(repeat),
                              self.pub.share(repeat, people)],
                             ["Offences with a suspect recorded", self.pub.count(offences),
                              None],
                             ["Offences linked to a repeat suspect", self.pub.count(rep_off),
                              self.pub.share(rep_off, offences)]]))
            share = self.pub.share(rep_off, offences)
            if isinstance(share, float):
                self._find(f"Repeat suspects were linked to {share:.1f}% of serious violence "
                           "offences with a suspect recorded.", t.id)

    def _fte_people(self, s: Section) -> None:
        """Age and sex of young people entering youth justice (first-time entrants): the
        suspects side that partner data can show (police.uk and most extracts cannot)."""
        if not (table_exists(self.ws, "youth_justice_events")
                and self.ws.scalar("SELECT count(*) FROM youth_justice_events")):
            return
        p = self.period
        rows = self.aq(
            """SELECT CASE WHEN age < 15 THEN 'Under 15' WHEN age < 18 THEN '15 to 17'
                        ELSE '18 and over' END AS band,
                   count(*) FILTER (WHERE upper(sex) IN ('M', 'MALE')),
                   count(*) FILTER (WHERE upper(sex) IN ('F', 'FEMALE')), count(*)
               FROM youth_justice_events WHERE upper(event_type) = 'FTE'
               AND event_date >= ? AND event_date < ?
               AND lsoa_code IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1""",
            [p.first, trends.add_months(p.last, 1), self.area.lsoa_codes])
        if not rows:
            return
        order = ["Under 15", "15 to 17", "18 and over"]
        rows.sort(key=lambda r: order.index(r[0]))
        total = sum(int(r[3]) for r in rows)
        s.add(Table("t_fte", "Youth justice first-time entrants by age and sex",
                    [Column("Age", LABEL), Column("Male", COUNT), Column("Female", COUNT),
                     Column("All", COUNT), Column("Share", PERCENT)],
                    [[b, self.pub.count(int(m)), self.pub.count(int(f)), self.pub.count(int(n)),
                      self.pub.share(int(n), total)] for b, m, f, n in rows],
                    note="Residents of the area (LSOA of residence); sex not recorded is "
                         "included in All."))

    def _repeat_admissions(self, s: Section) -> bool:
        """Repeat victims where identifiers allow: patients admitted for assault more than once
        (pseudonymised patient identifiers from hospital admissions)."""
        if not (table_exists(self.ws, "hospital_admissions")
                and self.ws.scalar("SELECT count(*) FROM hospital_admissions")):
            return False
        p = self.period
        r = self.aq(
            """WITH a AS (SELECT patient_pid, count(*) n FROM hospital_admissions
                   WHERE assault AND patient_pid IS NOT NULL AND admission_date >= ?
                   AND admission_date < ? AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))
                   GROUP BY 1)
               SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0),
                      coalesce(sum(n) FILTER (WHERE n > 1), 0) FROM a""",
            [p.first, trends.add_months(p.last, 1), self.area.lsoa_codes])[0]
        people, repeat, adm, rep_adm = (int(x) for x in r)
        if not people:
            return False
        t = s.add(Table("t_repeat_adm", "Repeat victims: patients admitted for assault more "
                        "than once", [Column("Measure", LABEL), Column("Count", COUNT),
                                      Column("Share", PERCENT)],
                        [["Patients admitted for assault", self.pub.count(people), None],
                         ["Patients admitted more than once", self.pub.count(repeat),
                          self.pub.share(repeat, people)],
                         ["Assault admissions", self.pub.count(adm), None],
                         ["Admissions of repeat patients", self.pub.count(rep_adm),
                          self.pub.share(rep_adm, adm)]],
                        note="Hospital admissions with an ICD-10 assault cause (X85-Y09), "
                             "linked by pseudonymised patient identifier, residents of the "
                             "area."))
        share = self.pub.share(rep_adm, adm)
        if isinstance(share, float) and repeat:
            self._find(f"{share:.1f}% of assault admissions were of patients admitted for "
                       "assault more than once in the period.", t.id)
        return True

    # ------------------------------------------------------------------ ED gap
    def _ed_gap(self, s: Section) -> None:
        res = self.partner.get("ed_assaults")
        if res is None or not res.supplied:
            s.add(Paragraph("No data supplied: no emergency department (ISTV) assault data is "
                            "loaded, so the share of violence seen in hospital that never "
                            "reaches the police cannot be estimated."))
            return
        police_key = "vwi" if self.cur.get("vwi") is not None else "vso"
        label = ("violence with injury" if police_key == "vwi"
                 else "violence and sexual offences")
        pol = next(i for i in self.inds if i.key == police_key)
        p, a = self.period, self.local
        prow = dict(self.aq(
            f"SELECT c.month, count(*) FROM area_crimes c WHERE {a.where} AND c.source = ? AND "
            f"{pol.predicate} AND c.month BETWEEN ? AND ? GROUP BY 1",
            [*a.params, self.source, p.first, p.last]))
        ed = {m if isinstance(m, date) else m.date(): n for m, n in (res.monthly or [])}
        rows = []
        for m in p.months:
            e, q = int(ed.get(m, 0)), int(prow.get(m, 0))
            rows.append([trends.month_label(m), self.pub.count(e), self.pub.count(q)])
        e_tot, q_tot = int(res.count or 0), int(self.cur.get(police_key, 0))
        rows.append(["Whole period", self.pub.count(e_tot), self.pub.count(q_tot)])
        t = s.add(Table("t_edgap", f"ED assault attendances and police-recorded {label}",
                        [Column("Month", LABEL), Column("ED assaults", COUNT),
                         Column(f"Police: {label}", COUNT)], rows,
                        note=f"ED records assigned to the area {res.area_method}. The two "
                             "sources count different things (attendances, offences); the "
                             "ratio indicates, not measures, under-reporting."))
        self._ed_where_when(s, pol, label)
        if e_tot and not self.pub.hidden(e_tot) and not self.pub.hidden(q_tot):
            ratio = e_tot / q_tot if q_tot else None
            text = (f"Emergency departments saw {self.pub.count_text(e_tot)} assault "
                    f"attendances against {self.pub.count_text(q_tot)} police-recorded "
                    f"{label}")
            if ratio:
                text += f" ({ratio:.2f} ED attendances per police-recorded offence)"
            if res.unplaced:
                text += (f"; {self.pub.count_text(res.unplaced)} further attendances had "
                         "no location and could not be placed in any area, so this may "
                         "understate the gap")
            self._find(text + ".", t.id)

    def _ed_where_when(self, s: Section, pol: PoliceIndicator, label: str) -> None:
        """Where (location type, neighbourhood) and when (time of the assault) ED assaults
        happened, next to the police figures for the same places and times."""
        p, a = self.period, self.local
        base = ("FROM ed_assaults WHERE lsoa_code IN (SELECT unnest(?::VARCHAR[])) AND "
                "CAST(assault_at AS DATE) >= ? AND CAST(assault_at AS DATE) < ?")
        args = [self.area.lsoa_codes, p.first, trends.add_months(p.last, 1)]
        where = self.aq(f"SELECT location_type, count(*) n {base} GROUP BY 1 "
                            "ORDER BY n DESC, 1", args)
        total = sum(int(n) for _, n in where)
        if where:
            t = s.add(Table("t_ed_where", "ED assault attendances by type of location",
                            [Column("Location type", LABEL), Column("Attendances", COUNT),
                             Column("Share", PERCENT)],
                            [[lt, self.pub.count(int(n)), self.pub.share(int(n), total)]
                             for lt, n in where]))
            lt, n = where[0]
            share = self.pub.share(int(n), total)
            if isinstance(share, float):
                self._find(f"The most common place of assault among ED attendances was "
                           f"'{lt}' ({share:.1f}%).", t.id)
        by_lsoa = self.aq(f"SELECT lsoa_code, count(*) n {base} GROUP BY 1 "
                              "ORDER BY n DESC, 1 LIMIT 10", args)
        if by_lsoa:
            pol_lsoa = dict(self.aq(
                f"SELECT c.lsoa_code, count(*) FROM area_crimes c WHERE {a.where} AND "
                f"c.source = ? AND {pol.predicate} AND c.month BETWEEN ? AND ? AND "
                "c.lsoa_code IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
                [*a.params, self.source, p.first, p.last, [r[0] for r in by_lsoa]]))
            names = dict(self.aq(
                "SELECT lsoa_code, lsoa_name FROM geo_lsoa WHERE lsoa_code IN "
                "(SELECT unnest(?::VARCHAR[]))", [[r[0] for r in by_lsoa]]))
            rows = []
            for code, n in by_lsoa:
                q = int(pol_lsoa.get(code, 0))
                hidden = self.pub.hidden(int(n)) or self.pub.hidden(q)
                rows.append([names.get(code) or code, code, self.pub.count(int(n)),
                             self.pub.count(q),
                             self.pub.rule.symbol if hidden else (n / q if q else None)])
            s.add(Table("t_ed_lsoa", "Where: neighbourhoods with most ED assault attendances",
                        [Column("LSOA", LABEL), Column("Code", LABEL),
                         Column("ED assaults", COUNT), Column(f"Police: {label}", COUNT),
                         Column("ED per police offence", NUMBER)], rows,
                        note="ED records placed by the LSOA the partner geocoded (the place "
                             "of the assault where given)."))
        hours = dict(self.aq(f"SELECT hour(assault_at), count(*) {base} GROUP BY 1", args))
        if hours:
            pol_hours = dict(self.aq(
                f"SELECT hour(c.occurred_from), count(*) FROM area_crimes c WHERE {a.where} AND "
                f"c.source = ? AND {pol.predicate} AND c.month BETWEEN ? AND ? AND "
                "c.occurred_from IS NOT NULL GROUP BY 1", [*a.params, self.source, p.first,
                                                            p.last]))
            ptotal = sum(int(v) for v in pol_hours.values())
            bands = [("00:00 to 05:59", range(0, 6)), ("06:00 to 11:59", range(6, 12)),
                     ("12:00 to 17:59", range(12, 18)), ("18:00 to 23:59", range(18, 24))]
            rows = []
            for band, hrs in bands:
                n = sum(int(hours.get(h, 0)) for h in hrs)
                q = sum(int(pol_hours.get(h, 0)) for h in hrs)
                rows.append([band, self.pub.count(n), self.pub.share(n, total),
                             self.pub.share(q, ptotal) if ptotal else None])
            s.add(Table("t_ed_when", "When: ED assault attendances by time of the assault",
                        [Column("Time of day", LABEL), Column("Attendances", COUNT),
                         Column("Share", PERCENT), Column(f"Police {label}: share", PERCENT)],
                        rows, note="Police shares use the recorded start time (force "
                                   "extracts); blank when police records carry no times."))

    # ------------------------------------------------------------------ place
    def _place(self, s: Section) -> None:
        p, a = self.period, self.local
        sv = next(i for i in self.inds if i.key == "sv")
        lsoa_rows = self.aq(
            f"""SELECT c.lsoa_code, any_value(c.lsoa_name), count(*) FROM area_crimes c
                WHERE {a.where} AND c.source = ? AND {sv.predicate}
                AND c.month BETWEEN ? AND ? AND c.lsoa_code IS NOT NULL GROUP BY 1""",
            [*a.params, self.source, p.first, p.last])
        counts = {c: int(n) for c, _, n in lsoa_rows}
        # Force extracts carry no LSOA names: take them from the geography pack when loaded.
        names = {c: nm for c, nm in self.aq(
            "SELECT lsoa_code, lsoa_name FROM geo_lsoa WHERE lsoa_code IN "
            "(SELECT unnest(?::VARCHAR[])) AND lsoa_name IS NOT NULL",
            [sorted(set(counts) | set(a.lsoa_codes))])}
        for c, nm, _ in lsoa_rows:
            if nm:
                names.setdefault(c, nm)
        pops = lsoa_populations(self.ws, a.lsoa_codes) if self.pop.total else {}
        self._map(s, counts, names)
        total = sum(counts.values())
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        rows = []
        for code, n in top:
            r = ind.crude_rate(n, pops.get(code))
            rows.append([names.get(code) or code, code, self.pub.count(n),
                         *self.pub.rate_cells(n, r), self.pub.share(n, total)])
        if rows:
            t = s.add(Table("t_lsoa", "Neighbourhoods (LSOAs) with the most serious violence",
                            [Column("LSOA", LABEL), Column("Code", LABEL),
                             Column("Count", COUNT), Column("Rate per 1,000", RATE),
                             Column("95% CI", CI), Column("Share of area total", PERCENT)],
                            rows, note="Residential rates can mislead in town centres, where "
                                       "few people live but many visit."))
            code, n = top[0]
            share = self.pub.share(n, total)
            if isinstance(share, float):
                self._find(f"The neighbourhood with the most serious violence was "
                           f"{names.get(code) or code} ({self.pub.count_text(n)} offences, "
                           f"{share:.1f}% of the area's total).", t.id)
        self._concentration(s, sv)
        self._hotspots(s, sv)
        self._emerging(s, sv)
        self._deprivation(s, counts, pops)

    def _map(self, s: Section, counts: dict[str, int], names: dict[str, str]) -> None:
        a = self.local
        symbol = None if self.pub.privileged else self.pub.rule.symbol
        if a.lsoa_codes and table_exists(self.ws, "geo_lsoa_boundary") and self.ws.scalar(
                "SELECT count(*) FROM geo_lsoa_boundary"):
            geo = self.aq("SELECT b.lsoa_code, b.geojson FROM geo_lsoa_boundary b JOIN "
                              "(SELECT unnest(?::VARCHAR[]) AS code) x ON x.code = b.lsoa_code "
                              "ORDER BY 1", [a.lsoa_codes])
            if geo:
                vals = [self.pub.count(counts.get(c, 0)) for c, _ in geo]
                cls, classes = maps.class_values(vals, symbol)
                shapes = maps.shapes_from_geojson([g for _, g in geo], cls,
                                                  [names.get(c, c) for c, _ in geo])
                svg = maps.render_svg(shapes, classes, f"Serious violence by LSOA, "
                                      f"{self.period.label}", "Offences")
                s.add(MapFigure("m_lsoa", "Serious violence by neighbourhood (LSOA)", svg,
                                "Choropleth map of serious violence counts by LSOA.",
                                "t_lsoa" if counts else None))
                return
        g = self.ws.settings.grid
        sv = next(i for i in self.inds if i.key == "sv")
        cells = self.aq(
            f"""SELECT c.cell_e, c.cell_n, count(*) FROM area_crimes c WHERE {a.where}
                AND c.source = ? AND {sv.predicate} AND c.month BETWEEN ? AND ?
                AND c.cell_e IS NOT NULL GROUP BY 1, 2""",
            [*a.params, self.source, self.period.first, self.period.last])
        if not cells:
            s.add(Paragraph("No map: no records in this period carry a location."))
            return
        size = self._map_cell_size(cells, g.cell_size_m)
        agg: dict[tuple[int, int], int] = {}
        for e, n, k in cells:
            key = (int(e // size * size), int(n // size * size))
            agg[key] = agg.get(key, 0) + int(k)
        vals = [self.pub.count(v) for v in agg.values()]
        cls, classes = maps.class_values(vals, symbol)
        keys = list(agg)
        shapes = maps.shapes_from_cells([k[0] for k in keys], [k[1] for k in keys], size, cls)
        svg = maps.render_svg(shapes, classes, f"Serious violence per {size:,} m square, "
                              f"{self.period.label}", "Offences",
                              note="No boundaries loaded: squares of the British National Grid.")
        s.add(MapFigure("m_grid", f"Serious violence per {size:,} m grid square", svg,
                        "Grid map of serious violence counts.", None))

    @staticmethod
    def _map_cell_size(cells, base: int) -> int:
        """A cell size giving a legible map (a few thousand squares at most)."""
        es = [c[0] for c in cells]
        ns = [c[1] for c in cells]
        span = max(max(es) - min(es), max(ns) - min(ns), base)
        size = base
        while span / size > 80:
            size *= 2
        return size

    def _concentration(self, s: Section, sv: PoliceIndicator) -> None:
        p, a = self.period, self.local
        g = self.ws.settings.grid
        vals = np.array([r[0] for r in self.aq(
            f"""SELECT count(*) FROM area_crimes c WHERE {a.where} AND c.source = ?
                AND {sv.predicate} AND c.month BETWEEN ? AND ? AND c.cell_e IS NOT NULL
                GROUP BY c.cell_e, c.cell_n""", [*a.params, self.source, p.first, p.last])],
            float)
        if len(vals) < 10:
            return
        shares = (1.0, 5.0, 10.0, 20.0)
        table = _concentration_table(vals, shares)
        rows = [[f"Busiest {x:.1f}% of cells", self.pub.count(int(units)), harm]
                for x, harm, units in table]
        t = s.add(Table("t_conc", f"Concentration of serious violence in {g.cell_size_m} m "
                        "grid cells", [Column("Cells", LABEL), Column("Number of cells", COUNT),
                                       Column("Share of serious violence", PERCENT)], rows,
                        note=f"Share of area = share of the {len(vals):,} cells with at least "
                             "one located offence in the period (police.uk locations are "
                             "snapped to nearby points)."))
        harm5 = next(h for x, h, _ in table if x == 5.0)
        self._find(f"Serious violence is concentrated: the busiest 5.0% of {g.cell_size_m} m "
                   f"cells with any offence held {harm5:.1f}% of located serious violence.",
                   t.id)

    def _hotspots(self, s: Section, sv: PoliceIndicator) -> None:
        """Getis-Ord Gi* hot spots on the workspace grid, from the hotspot toolkit."""
        try:
            from vru.analysis.hotspots.gistar import gi_star
            from vru.analysis.hotspots.units import (
                default_threshold,
                distance_band_weights,
                grid_units,
            )
        except ImportError:  # the hotspot toolkit is optional for profiles
            return
        p, a, g = self.period, self.local, self.ws.settings.grid
        pts = self.aq(
            f"""SELECT c.easting, c.northing FROM area_crimes c WHERE {a.where}
                AND c.source = ? AND {sv.predicate} AND c.month BETWEEN ? AND ?
                AND c.easting IS NOT NULL""", [*a.params, self.source, p.first, p.last])
        if len(pts) < 30:
            return
        e = np.array([r[0] for r in pts], float)
        n = np.array([r[1] for r in pts], float)
        units = grid_units(e, n, g.cell_size_m, g.origin_e, g.origin_n, extent="buffer")
        idx = units.assign(e, n)
        y = np.bincount(idx[idx >= 0], minlength=len(units)).astype(float)
        w = distance_band_weights(units.x, units.y, default_threshold(units))
        res = gi_star(y, w, fdr=True)
        hot = np.flatnonzero(res.bin == 3)
        if not len(hot):
            s.add(Paragraph("Hot spots: no grid cell is a statistically significant hot spot "
                            "(Getis-Ord Gi*, 99% confidence after false-discovery-rate "
                            "correction)."))
            return
        order = hot[np.lexsort((-res.z[hot], -y[hot]))]  # busiest first, then strongest
        in_hot = int(y[hot].sum())
        total = int(y.sum())
        rows = [[str(units.ids[i]), self.pub.count(int(y[i])), float(res.z[i])]
                for i in order[:10]]
        rows.append([f"All {words(len(hot))} hot-spot cells" if len(hot) <= 20
                     else f"All {len(hot):,} hot-spot cells", self.pub.count(in_hot), None])
        t = s.add(Table("t_hotspots", "Hot spots: grid cells with significant clustering of "
                        "serious violence", [Column("Cell", LABEL), Column("Offences", COUNT),
                                               Column("Gi* z-score", NUMBER)], rows,
                        note=f"Getis-Ord Gi* on {g.cell_size_m} m cells (neighbours within "
                             f"{default_threshold(units):,.0f} m), 99% confidence after "
                             "Benjamini-Hochberg correction; the ten busiest hot-spot cells shown."))
        share = self.pub.share(in_hot, total)
        if isinstance(share, float):
            self._find(f"Hot-spot analysis (Getis-Ord Gi*) found {len(hot):,} grid cells of "
                       f"{g.cell_size_m} m with significant clustering; they held {share:.1f}% "
                       "of located serious violence.", t.id)

    def _emerging(self, s: Section, sv: PoliceIndicator) -> None:
        p, prev, a = self.period, self.prev, self.local
        rows = self.aq(
            f"""SELECT any_value(c.lsoa_name), c.lsoa_code,
                       count(*) FILTER (WHERE c.month BETWEEN ? AND ?) AS cur,
                       count(*) FILTER (WHERE c.month BETWEEN ? AND ?) AS bef
                FROM area_crimes c WHERE {a.where} AND c.source = ? AND {sv.predicate}
                AND c.month BETWEEN ? AND ? AND c.lsoa_code IS NOT NULL GROUP BY 2""",
            [p.first, p.last, prev.first, prev.last, *a.params, self.source, prev.first,
             p.last])
        names = dict(self.aq(
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
        out = [[nm, code, self.pub.count(bef), self.pub.count(cur),
                self._change_text(ch)] for _, nm, code, cur, bef, ch in rising[:10]]
        t = s.add(Table("t_emerging", "Emerging places: neighbourhoods where serious violence "
                        "rose significantly", [Column("LSOA", LABEL), Column("Code", LABEL),
                                              Column(prev.label, COUNT),
                                              Column(p.label, COUNT), Column("Change", TEXT)],
                        out, note="Exact conditional test of the two periods' counts at the "
                                  "1% level; at most ten shown."))
        visible = [r for r in rising if not (self.pub.hidden(r[3]) or self.pub.hidden(r[4]))]
        if visible:
            if len(rising) == 1:
                text = f"in one neighbourhood: {visible[0][1]}"
            else:
                text = f"in {words(len(rising))} neighbourhoods, most of all in {visible[0][1]}"
            self._find(f"Serious violence rose significantly {text}.", t.id)

    def _deprivation(self, s: Section, counts: dict[str, int], pops: dict[str, float]) -> None:
        if not self.ws.scalar("SELECT count(*) FROM geo_deprivation") or not pops:
            s.add(Paragraph("Rates by deprivation decile are not shown: "
                            + ("no deprivation data is loaded." if pops else
                               "no population denominators are loaded.")))
            return
        if table_exists(self.ws, "lsoa_deprivation"):
            # The geography pack's best-fit 2011 LSOA for each LSOA (deprivation is on 2011s).
            dec = dict(self.aq(
                "SELECT lsoa_code, imd_decile FROM lsoa_deprivation d WHERE imd_decile IS NOT "
                "NULL AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))", [list(pops)]))
        else:
            dec = {}
        if not dec:
            dec = dict(self.aq(
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
            cells = self.pub.rate_cells(c, r)
            rows.append([f"{ordinal(d)}" + (" (most deprived)" if d == 1 else
                                             " (least deprived)" if d == 10 else ""),
                         self.pub.count(c), *cells])
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
                self._find(f"Serious violence rates were {most.value / least.value:.2f} times "
                           f"higher in the area's most deprived neighbourhoods "
                           f"({ordinal(lo_d)} decile) than in its least deprived "
                           f"({ordinal(hi_d)} decile).", t.id)

    # ------------------------------------------------------------------ coverage
    def _coverage(self, s: Section) -> None:
        p, a = self.period, self.local
        months = self.aq(
            f"SELECT c.source, c.month, count(*) FROM area_crimes c WHERE {a.where} AND "
            "c.month BETWEEN ? AND ? GROUP BY 1, 2", [*a.params, p.first, p.last])
        by_src: dict[str, dict[date, int]] = {}
        for src, m, n in months:
            by_src.setdefault(src, {})[m] = int(n)
        rows = []
        names = {"police_uk": "data.police.uk street crime", "police_rms": "Force crime extracts"}
        for src in ("police_uk", "police_rms"):
            got = by_src.get(src, {})
            if not got and src != self.source:
                continue
            missing = [trends.month_label(m) for m in p.months if m not in got]
            rows.append([names[src], "Police", self.pub.count(sum(got.values())),
                         f"{words(len(got))} of {words(p.n_months)}",
                         ", ".join(missing) if missing else "none",
                         "used" if src == self.source else "not used (other police source "
                                                           "preferred)"])
        for res in self.partner.values():
            i = res.indicator
            if not res.supplied:
                rows.append([i.label, i.supplier, None, None, None, res.note])
                continue
            got = {(m if isinstance(m, date) else m.date()) for m, _ in (res.monthly or [])}
            missing = [trends.month_label(m) for m in p.months if m not in got]
            rows.append([i.label, i.supplier, self.pub.count(int(res.count or 0)),
                         f"{words(len(got))} of {words(p.n_months)}",
                         ", ".join(missing) if missing else "none",
                         f"table {res.table}, placed {res.area_method}"
                         + (f"; {_fmt(self.pub.count(res.unplaced))} records without an LSOA "
                            "not placed in any area" if res.unplaced else "")])
        t = s.add(Table("t_coverage", "Which partner supplied what",
                        [Column("Source", LABEL), Column("Partner", TEXT),
                         Column("Records in period", COUNT), Column("Months with data", TEXT),
                         Column("Missing months", TEXT), Column("Notes", TEXT)], rows))
        q = self.aq(
            f"""SELECT count(*), count(*) FILTER (WHERE c.easting IS NULL),
                       count(*) FILTER (WHERE c.lsoa_code IS NULL),
                       count(*) FILTER (WHERE c.geo_method = 'lookup')
                FROM area_crimes c WHERE {a.where} AND c.source = ?
                AND c.month BETWEEN ? AND ?""", [*a.params, self.source, p.first, p.last])[0]
        tot, noloc, nolsoa, lookup = (int(x) for x in q)
        # Records with no LSOA cannot be given to any local authority, so they never appear in
        # an area's own figures: count them over the force(s) the area's records come from.
        fq = self.aq(
            f"""SELECT count(*), count(*) FILTER (WHERE lsoa_code IS NULL) FROM crimes
                WHERE source = ? AND month BETWEEN ? AND ? AND falls_within IN
                (SELECT DISTINCT c.falls_within FROM area_crimes c WHERE {a.where}
                 AND c.source = ?)""", [self.source, p.first, p.last, *a.params,
                                          self.source])[0]
        ftot, fnolsoa = (int(x) for x in fq)
        rej = self.aq(
            "SELECT count(*) FROM rejects r JOIN source_files f ON f.file_id = r.file_id "
            "WHERE r.source = ? AND f.month BETWEEN ? AND ?", [self.source, p.first, p.last])
        rej_n = int(rej[0][0]) if rej else 0
        rows = [
            ["Records without a location (not mapped)", self.pub.count(noloc),
             self.pub.share(noloc, tot)],
            ["Records without an LSOA", self.pub.count(nolsoa), self.pub.share(nolsoa, tot)],
            ["Force records without an LSOA (in no area's figures)", self.pub.count(fnolsoa),
             self.pub.share(fnolsoa, ftot)],
            ["Records placed by the ONS lookup", self.pub.count(lookup),
             self.pub.share(lookup, tot)],
            ["Rows rejected at import (whole force, period months)", self.pub.count(rej_n),
             None],
        ]
        s.add(Table("t_quality", "Data quality of the police records used",
                    [Column("Measure", LABEL), Column("Records", COUNT),
                     Column("Share", PERCENT)], rows,
                    note="Rejected rows are kept in the workspace with their reasons "
                         "(see vru import)."))
        if isinstance(rows[0][2], float) and rows[0][2] > 2.0 and self.has_data:
            self._find(f"{rows[0][2]:.1f}% of the area's police records in the period had no "
                       "location and are missing from the maps and concentration figures.",
                       "t_quality")
        if isinstance(rows[2][2], float) and rows[2][2] > 2.0 and self.has_data:
            self._find(f"{rows[2][2]:.1f}% of the force's police records in the period had no "
                       "LSOA and so are in no area's figures, this one's included.",
                       "t_quality")
        partners_missing = [r.indicator.label for r in self.partner.values() if not r.supplied]
        if partners_missing and self.has_data:
            self._find("No data has been supplied for: " + _join(
                [x[0].lower() + x[1:] for x in partners_missing]) + ".", t.id)

    # ------------------------------------------------------------------ methods
    def _methods(self, s: Section) -> None:
        st = self.ws.settings
        sv = st.serious_violence
        s.add(Paragraph(f"Serious violence (the partnership's definition): {sv.description} "
                        "For data.police.uk the categories counted are: "
                        + ", ".join(sv.police_uk_categories) + ". For force extracts, Home "
                        "Office offence codes " + _codes(sv.ho_offence_codes) + "."))
        s.add(Paragraph("Violence with injury (force extracts only): Home Office offence codes "
                        + _codes(VWI_OFFENCE_CODES) + ". Knife crime: records flagged as "
                        "involving a knife or sharp instrument in force extracts. Sharp-object "
                        "admissions: ICD-10 external cause X99, patients aged under 25."))
        s.add(Paragraph(f"Area: {self.area.name} was identified by {self.area.method}. "
                        f"Police source used: {self.source}. Population: {self.pop.source}."))
        s.add(Paragraph("Rates are per 1,000 residents. 95% confidence intervals follow OHID "
                        "Fingertips: exact Poisson limits from the chi-square distribution for "
                        "counts below ten, Byar's method from ten upwards; proportions use the "
                        "Wilson score interval. An area is significantly higher (lower) than "
                        "its benchmark when its whole interval lies above (below) the "
                        "benchmark value, otherwise similar. Changes between periods use the "
                        "exact conditional (binomial) test for two Poisson counts over equal "
                        "periods."))
        s.add(Paragraph(f"Concentration uses the workspace grid: {st.grid.cell_size_m} m "
                        "squares on the British National Grid; the area for shares is the set "
                        "of cells with at least one located offence in the period. "
                        "data.police.uk locations are snapped to anonymous points, and "
                        "its months are the month of recording."))
        r = st.disclosure
        s.add(Paragraph(
            "Disclosure control: this is a privileged profile; counts are unrounded and it "
             "must not be published." if self.pub.privileged else
             f"Disclosure control: counts from one to {words(r.suppress_max)} are shown as "
             f"{r.symbol}" + (f" and other counts rounded to the nearest {words(r.round_to)}"
                              if r.round_to > 1 else "")
             + "; rates, intervals, shares and comparisons resting on a suppressed count are "
               "suppressed too. Rates are calculated from unrounded counts."))


def _concentration_table(vals: np.ndarray, shares: tuple[float, ...]) -> list[tuple]:
    """(x%, share of events in the busiest x% of cells, number of cells).

    Uses the hotspot toolkit's concentration table when installed, else a direct computation
    (cells ranked by count; a cell straddling the x% boundary counts pro rata).
    """
    try:
        from vru.analysis.hotspots.concentration import harm_share_at

        df = harm_share_at(vals, None, shares)
        return [(float(r.area_pct), float(r.harm_pct), int(r.units)) for r in df.itertuples()]
    except ImportError:
        v = np.sort(vals)[::-1]
        cum_a = np.concatenate([[0.0], np.arange(1, len(v) + 1) / len(v)])
        cum_h = np.concatenate([[0.0], np.cumsum(v) / v.sum()])
        return [(x, float(np.interp(x / 100, cum_a, cum_h)) * 100,
                 int(np.ceil(x / 100 * len(v) - 1e-9))) for x in shares]


def _codes(codes) -> str:
    """Offence codes are labels, not numbers: quoted so nobody reads '1' as a count."""
    return ", ".join(f"'{c}'" for c in codes)


def _fmt(v) -> str:
    return v if isinstance(v, str) else f"{v:,}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _month_full(short: str) -> str:
    full = ("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December")
    return full[trends.MONTH_NAMES.index(short)]


__all__ = ["build_profile", "Publisher", "PARTNER_INDICATORS"]

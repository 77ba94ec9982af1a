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

from vru import periods
from vru.analysis import indicators as ind
from vru.analysis import trends
from vru.reports import charts, profile_people, profile_place, profile_programme
from vru.reports.brand import brand_from_settings
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
    peer_areas,
    police_sources,
    population_for,
    resolve_area,
)
from vru.reports.publish import Publisher, codes, fmt, join_words, month_full, words
from vru.workspace import Workspace


@dataclass
class PoliceIndicator:
    key: str
    label: str
    predicate: str | None   # SQL over canonical_crimes c; None = not available from the source
    note: str = ""


def _sql_list(values) -> str:
    """Settings values as SQL string literals (quotes doubled)."""
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def police_indicators(ws: Workspace, source: str) -> list[PoliceIndicator]:
    """The police indicators. Serious violence is the workspace definition, which means the
    same on both sources (``canonical_crimes.serious_violence``, vru.crime_view); indicators
    that need Home Office codes or flags are available only when force extracts serve every
    month of the period (``source`` 'police_rms'; 'police_uk' or 'mixed' otherwise)."""
    if source == "police_rms":
        sv_ho = "c.sv_ho_code"
        vwi_pred = f"c.ho_offence_code IN ({_sql_list(VWI_OFFENCE_CODES)})"
        knife = "c.knife_flag"
    else:
        sv_ho = vwi_pred = knife = None
    return [
        PoliceIndicator("sv", "Serious violence (local definition)", "c.serious_violence"),
        PoliceIndicator("sv_ho", "Serious violence (Home Office offence codes)", sv_ho,
                        "needs force extracts (Home Office offence codes) for every month"),
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


def _counts(run, area: Area, inds: list[PoliceIndicator],
            first: date, last: date, table: str = "canonical_crimes") -> dict[str, int]:
    """Indicator counts for an area; ``run(sql, params)`` executes (a workspace's ``sql``, or
    the builder's cursor, which also sees the area's rows as ``area_crimes``)."""
    avail = [i for i in inds if i.predicate]
    if not avail:
        return {}
    sums = ", ".join(f"count(*) FILTER (WHERE {i.predicate}) AS {i.key}" for i in avail)
    row = run(f"SELECT {sums} FROM {table} c WHERE {area.where} "
              "AND c.month BETWEEN ? AND ?", [*area.params, first, last])[0]
    return {i.key: int(v or 0) for i, v in zip(avail, row, strict=True)}


def _period_year(period: periods.Period) -> int:
    return periods.financial_year_start(period.first)


# =========================================================================== build
def build_profile(ws: Workspace, area: str | Area, period: str | periods.Period,
                  privileged: bool = False) -> Document:
    """Assemble the problem profile for ``area`` over ``period`` (see module docstring)."""
    a = resolve_area(ws, area) if isinstance(area, str) else area
    p = periods.parse_period(period) if isinstance(period, str) else period
    return _Builder(ws, a, p, privileged).build()


# The columns the sections read (the predicates use crime_type, ho_offence_code, knife_flag).
_AREA_COLUMNS = ("source, month, occurred_from, falls_within, easting, northing, cell_e, "
                 "cell_n, lsoa_code, lsoa_name, crime_type, ho_offence_code, victim_age, "
                 "victim_sex, suspect_pid, knife_flag, geo_method, serious_violence, "
                 "sv_ho_code, domestic_flag, victim_ethnicity, suspect_age, suspect_sex, "
                 "suspect_ethnicity")


class ProfileContext:
    """What every section of a profile reads, passed to the section functions
    (``profile_people``, ``profile_place``, ``profile_programme``) and extended by the builder:
    the workspace, the area and its records for the window (``area_crimes`` on ``aq``'s
    cursor), the period and the one before, the publisher (the disclosure gate), the police
    source(s) and indicators, the force and peers, population, the findings so far and the
    document being built."""

    # Set by the headline section and read by the sections after it.
    cur: dict[str, int]
    before: dict[str, int]
    fcur: dict[str, int]
    fpop: float | None
    partner: dict[str, PartnerResult]

    def __init__(self, ws: Workspace, area: Area, period: periods.Period, privileged: bool):
        self.ws = ws
        self.area = area
        self.period = period
        self.prev = period.previous()
        self.pub = Publisher(ws.settings.disclosure, privileged)
        self.sources_used = police_sources(ws, area, period)
        self.source = (self.sources_used[0] if len(self.sources_used) == 1 else
                       "mixed" if self.sources_used else "police_uk")
        self.source_text = {"police_rms": "force crime extracts",
                            "police_uk": "data.police.uk"}.get(
            self.source, "force crime extracts and data.police.uk, by force and month")
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
        lo = min(periods.add_months(period.last, -47), self.prev.first)
        rows = self._cur.execute(
            f"SELECT {_AREA_COLUMNS} FROM canonical_crimes c WHERE {area.where} "
            "AND c.month BETWEEN ? AND ?",
            [*area.params, lo, period.last]).to_arrow_table()
        self._cur.register("area_crimes", rows)
        self.local = replace(area, where="TRUE", params=[])
        self.has_data = bool(self.aq(
            "SELECT count(*) FROM area_crimes c WHERE "
            "c.month BETWEEN ? AND ?", [period.first, period.last])[0][0])
        self.doc = Document(
            title=f"{area.name}: serious violence problem profile",
            subtitle=f"{area.level_name.capitalize()}, {self._period_text()}",
            privileged=privileged,
            marking=("PRIVILEGED: contains unrounded counts; do not publish" if privileged
                     else "Disclosure-controlled: suitable for partners and publication"),
            meta={"area": area.name, "area_level": area.level, "period": period.label,
                  "source": self.source,
                  # Exact and controlled files never share a name.
                  "file_stem": f"profile-{area.name}-{period.label}"
                               + ("-exact" if privileged else ""),
                  "brand": brand_from_settings(ws.settings.report, ws.path)},
        )

    def aq(self, sql: str, params: list | None = None) -> list[tuple]:
        """Run a read query on the builder's cursor (which sees ``area_crimes``)."""
        return self._cur.execute(sql, params).fetchall()

    def _period_text(self) -> str:
        if periods.is_financial_year(self.period):
            return f"financial year {self.period.label}"
        return self.period.label

    def _find(self, text: str, table_id: str) -> None:
        self.findings.append(Finding(text, table_id))

    def _change_text(self, ch: ind.Change) -> str:
        if self.pub.hidden(ch.before) or self.pub.hidden(ch.after):
            return self.pub.rule.symbol
        if ch.before == 0:
            return "new" if ch.after else "none"
        pct = self.pub.change(ch.before, ch.after)
        if pct is None:  # the earlier count publishes as zero
            return self.pub.rule.symbol
        # Only a statistically significant change is named; the notes say so.
        return f"{pct:+.1f}%" + (f" ({ch.direction})" if ch.direction in ("rose", "fell")
                                 else "")


class _Builder(ProfileContext):
    """The profile: the police sections here; people, place and the programme from their
    modules, as functions of the context."""

    # ------------------------------------------------------------------ build
    def build(self) -> Document:
        d = self.doc
        about = d.section("about", "About this profile")
        d.section("findings", "Key findings")
        self._about(about)
        self._headline(d.section("headline", "Headline indicators"))
        self._comparison(d.section("comparison", "Comparison with the force and peer areas"))
        self._trends(d.section("trends", "Trends"))
        profile_people.people(self, d.section("people", "People: victims and suspects"))
        profile_people.ed_gap(self, d.section("ed_gap", "The emergency department and police gap"))
        profile_place.place(self, d.section("place", "Place: where violence happens"))
        profile_programme.programme(self, d.section(
            "programme", "The programme: what the VRU funds and who it reaches"))
        self._coverage(d.section("coverage", "Data coverage and quality"))
        self._methods(d.section("methods", "Methods and definitions"))
        fs = d.sections[1]
        if self.findings:
            fs.add(FindingList(self.findings))
        else:
            fs.add(Paragraph("No police-recorded offences were found for this area and period, "
                             "so there are no findings to report."))
        return d.finalise()

    # ------------------------------------------------------------------ about
    def _about(self, s: Section) -> None:
        src = {"police_rms": "force crime extracts",
               "police_uk": "data.police.uk street-level crime data"}.get(
            self.source, "force crime extracts where they cover a month and data.police.uk "
                         "street-level crime data otherwise")
        s.add(Paragraph(
            f"This profile describes serious violence in {self.area.name} "
            f"({self.area.level_name}) in {self._period_text()} "
            f"({periods.month_label(self.period.first)} to {periods.month_label(self.period.last)})"
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
        cur = _counts(self.aq, self.local, self.inds, p.first, p.last, "area_crimes")
        before = _counts(self.aq, self.local, self.inds, prev.first, prev.last, "area_crimes")
        fcur: dict[str, int] = {}
        fpop = None
        if self.force is not None:
            fcur = _counts(self.ws.sql, self.force, self.inds, p.first, p.last)
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
            self.ws, self.area, p.first, periods.add_months(p.last, 1), prev.first)
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
            pct = self.pub.change(sv_before, sv)
            if pct is not None:
                if ch.direction == "no significant change":
                    self._find(f"Serious violence was little changed on {prev.label} "
                               f"({pct:+.1f}%, not statistically significant).", t.id)
                else:
                    self._find(f"Serious violence {ch.direction} by {abs(pct):.1f}% on "
                               f"{prev.label} (statistically significant, exact test).", t.id)
        for i in self.inds:
            if i.key in ("sv", "vso") or i.predicate is None:
                continue
            self._significant_change(i.label, before[i.key], cur[i.key],
                                     f"({self.pub.count_text(cur[i.key])} offences)", t.id)
        for res in self.partner.values():
            if res.supplied:
                c = int(res.count or 0)
                self._significant_change(res.indicator.label, int(res.previous or 0), c,
                                         f"({self.pub.count_text(c)} in {p.label})", t.id)

    def _significant_change(self, label: str, b: int, c: int, tail: str, table_id: str) -> None:
        """A finding for a statistically significant change (exact test), worded from the
        published counts; nothing when either count is suppressed or the change is not
        significant."""
        pct = self.pub.change(b, c)
        if pct is None:
            return
        ch = ind.change_between(b, c)
        if ch.direction != "no significant change":
            self._find(f"{label} {ch.direction} by {abs(pct):.1f}% on {self.prev.label} {tail}.",
                       table_id)

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
            c = _counts(self.ws.sql, peer, sv_ind, p.first, p.last)["sv"]
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
                       f"{join_words(higher)} had serious violence rates significantly above the "
                       "force rate.", t.id)

    # ------------------------------------------------------------------ trends
    def _trends(self, s: Section) -> None:
        p, a = self.period, self.local
        sv = next(i for i in self.inds if i.key == "sv")
        start = periods.add_months(p.last, -47)
        rows = self.aq(f"SELECT c.month, count(*) FROM area_crimes c WHERE {a.where} AND "
                      f"{sv.predicate} AND c.month BETWEEN ? AND ? "
                      "GROUP BY 1 ORDER BY 1", [*a.params, start, p.last])
        bounds = self.aq(f"SELECT min(c.month), max(c.month) FROM area_crimes c WHERE {a.where}",
                         a.params)[0]
        if not rows or bounds[0] is None:
            s.add(Paragraph("No serious violence was recorded in this period."))
            return
        first = max(start, bounds[0])
        # Coverage guard: months at the start of the data holding almost no records (a stray
        # month before an extract's first full month) are partial: left out of the yearly and
        # seasonal tables, with a note.
        every = dict(self.aq(f"SELECT c.month, count(*) FROM area_crimes c WHERE {a.where} AND "
                             "c.month BETWEEN ? AND ? GROUP BY 1", [*a.params, first, p.last]))
        run = periods.month_range(first, p.last)
        lo, _ = trends.covered_span([every.get(m, 0) for m in run])
        dropped = [m for m in run[:lo] if every.get(m)]
        first = run[lo] if run and lo < len(run) else first
        coverage_note = (f" {join_words([periods.month_label(m) for m in dropped])} "
                         f"{'was' if len(dropped) == 1 else 'were'} left out: "
                         f"{'it holds' if len(dropped) == 1 else 'they hold'} too few records "
                         "to be a full month of data (partial coverage)." if dropped else "")
        months = [r[0] for r in rows if r[0] >= first]
        counts = [r[1] for r in rows if r[0] >= first]
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
            part = int(r["months"]) < 12
            fy_rows.append([r["financial_year"], self.pub.count(c),
                            f"{words(int(r['months']))} of twelve"
                            + (" (partial year)" if part else ""),
                            "withheld (partial year)" if part else change])
            prev_c = c if int(r["months"]) == 12 else None
        s.add(Table("t_fy", "Serious violence by financial year",
                        [Column("Financial year", LABEL), Column("Count", COUNT),
                         Column("Months of data", TEXT), Column("Change on previous year",
                                                                TEXT)], fy_rows,
                        note="Financial years run April to March. Change is shown only "
                             "between complete years." + coverage_note))
        # Averages of the published (rounded) monthly counts, so that an average times its
        # number of months never gives back a count the rounding hid.
        pub_counts = [np.nan if self.pub.hidden(c) else self.pub.numeric(self.pub.count(c))
                      for c in series["count"]]
        season = trends.seasonality(series["month"], pub_counts)
        cal = pd.to_datetime(series["month"]).dt.month
        hidden = pd.Series(np.isnan(np.asarray(pub_counts, float))).groupby(cal.to_numpy()).any()
        s_rows, best = [], None
        for _, r in season.iterrows():
            if bool(hidden.get(int(r["calendar_month"]), False)) or pd.isna(r["mean"]):
                s_rows.append([r["month_name"], None if pd.isna(r["mean"]) else
                               self.pub.rule.symbol, None])
                continue
            s_rows.append([r["month_name"], float(r["mean"]), float(r["index"])])
            if best is None or r["index"] > best[1]:
                best = (r["month_name"], float(r["index"]))
        ts = s.add(Table("t_season", "Seasonality: average serious violence per calendar month",
                         [Column("Month", LABEL), Column("Average per month", NUMBER),
                          Column("Index (1.00 = average month)", NUMBER)], s_rows,
                         note=f"Averages over the months of data from "
                              f"{periods.month_label(first)} to {periods.month_label(p.last)}"
                              + ("" if self.pub.privileged else ", of the published (rounded) "
                                 "monthly counts; a month with a suppressed count is not "
                                 "averaged") + "." + coverage_note))
        if best and best[1] > 1.05 and len(series) >= 24:
            self._find(f"Serious violence is seasonal: {month_full(best[0])} is the busiest "
                       f"month, {100 * (best[1] - 1):.1f}% above an average month.", ts.id)
        self._time_of_day(s, sv)
        self._crime_types(s)

    def _time_of_day(self, s: Section, sv: PoliceIndicator) -> None:
        p, a = self.period, self.local
        ts = self.aq(
            f"SELECT c.occurred_from FROM area_crimes c WHERE {a.where} AND "
            f"{sv.predicate} AND c.month BETWEEN ? AND ? AND c.occurred_from IS NOT NULL",
            [*a.params, p.first, p.last])
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
                    "Heat map of offences by hour (columns, 0 to 23) and weekday (rows); grey "
                    "cells are suppressed small numbers.", t.id))
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
                FROM area_crimes c WHERE {a.where} AND c.month BETWEEN ? AND ?
                GROUP BY 1 ORDER BY 2 DESC, 1""",
            [p.first, p.last, prev.first, prev.last, *a.params, prev.first, p.last])
        out = [[t, self.pub.count(c), self.pub.count(b),
                self._change_text(ind.change_between(int(b), int(c)))] for t, c, b in rows]
        s.add(Table("t_types", "All police-recorded crime by type",
                    [Column("Crime type", LABEL), Column(p.label, COUNT),
                     Column(prev.label, COUNT), Column("Change", TEXT)], out,
                    note="Police-recorded crime of every type in the area, for context. "
                         "'(rose)' or '(fell)' marks a significant change (5% level)."))
    # ------------------------------------------------------------------ coverage
    def _coverage(self, s: Section) -> None:
        p, a = self.period, self.local
        # What each police source holds for the area, and which months it serves in the
        # canonical crime view (vru.crime_view: decided once per force and month).
        months = self.aq(
            f"SELECT c.source, c.month, count(*) FILTER (WHERE c.crime_type <> "
            f"'Anti-social behaviour') FROM area_crimes c WHERE {a.where} AND "
            "c.month BETWEEN ? AND ? GROUP BY 1, 2", [*a.params, p.first, p.last])
        held = self.ws.sql(
            f"""SELECT c.source, c.month, count(*) FROM crimes_geo c
                WHERE {self.area.where} AND c.month BETWEEN ? AND ? GROUP BY 1, 2""",
            [*self.area.params, p.first, p.last])
        by_src: dict[str, dict[date, int]] = {}
        for src, m, n in months:
            if n:
                by_src.setdefault(src, {})[m] = int(n)
        held_src: dict[str, dict[date, int]] = {}
        for src, m, n in held:
            held_src.setdefault(src, {})[m] = int(n)
        rows = []
        names = {"police_uk": "data.police.uk street crime", "police_rms": "Force crime extracts"}
        for src in ("police_uk", "police_rms"):
            got, has = by_src.get(src, {}), held_src.get(src, {})
            if not has:
                continue
            missing = [periods.month_label(m) for m in p.months if m not in has]
            served = len(got)
            note = ("used for every month it holds" if served and set(got) == set(has) else
                    f"used for {words(served)} months; other months served by the other "
                    "police source" if served else "crime served by the other police source "
                    "in these months")
            if src == "police_uk" and self.source == "police_rms":
                note += "; anti-social behaviour (not in force crime extracts) from here"
            rows.append([names[src], "Police", self.pub.count(sum(has.values())),
                         f"{words(len(has))} of {words(p.n_months)}",
                         ", ".join(missing) if missing else "none", note])
        for res in self.partner.values():
            i = res.indicator
            if not res.supplied:
                rows.append([i.label, i.supplier, None, None, None, res.note])
                continue
            got = {(m if isinstance(m, date) else m.date()) for m, _ in (res.monthly or [])}
            missing = [periods.month_label(m) for m in p.months if m not in got]
            rows.append([i.label, i.supplier, self.pub.count(int(res.count or 0)),
                         f"{words(len(got))} of {words(p.n_months)}",
                         ", ".join(missing) if missing else "none",
                         f"placed {res.area_method}"
                         + (f"; {fmt(self.pub.count(res.unplaced))} records without an LSOA "
                            "not placed in any area" if res.unplaced else "")])
        t = s.add(Table("t_coverage", "Which partner supplied what",
                        [Column("Source", LABEL), Column("Partner", TEXT),
                         Column("Records in period", COUNT), Column("Months with data", TEXT),
                         Column("Missing months", TEXT), Column("Notes", TEXT)], rows))
        q = self.aq(
            f"""SELECT count(*), count(*) FILTER (WHERE c.easting IS NULL),
                       count(*) FILTER (WHERE c.lsoa_code IS NULL),
                       count(*) FILTER (WHERE c.geo_method = 'lookup')
                FROM area_crimes c WHERE {a.where}
                AND c.month BETWEEN ? AND ?""", [*a.params, p.first, p.last])[0]
        tot, noloc, nolsoa, lookup = (int(x) for x in q)
        # Records with no LSOA cannot be given to any local authority, so they never appear in
        # an area's own figures: count them over the force(s) the area's records come from.
        fq = self.aq(
            f"""SELECT count(*), count(*) FILTER (WHERE lsoa_code IS NULL) FROM canonical_crimes
                WHERE month BETWEEN ? AND ? AND falls_within IN
                (SELECT DISTINCT c.falls_within FROM area_crimes c WHERE {a.where})""",
            [p.first, p.last, *a.params])[0]
        ftot, fnolsoa = (int(x) for x in fq)
        rej = self.aq(
            "SELECT count(*) FROM rejects r JOIN source_files f ON f.file_id = r.file_id "
            "WHERE r.source IN (SELECT unnest(?::VARCHAR[])) AND f.month BETWEEN ? AND ?",
            [self.sources_used, p.first, p.last])
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
            self._find("No data has been supplied for: " + join_words(
                [x[0].lower() + x[1:] for x in partners_missing]) + ".", t.id)

    # ------------------------------------------------------------------ methods
    def _methods(self, s: Section) -> None:
        st = self.ws.settings
        sv = st.serious_violence
        s.add(Paragraph(f"Serious violence (the partnership's definition): {sv.description} "
                        "An offence counts when its police.uk category is one of: "
                        + ", ".join(sv.police_uk_categories) + "; force-extract records carry "
                        "the category their Home Office offence code maps to, so the "
                        "definition means the same on both police sources. Each crime is "
                        "counted once: for each force and month a force extract that holds the "
                        "month supersedes data.police.uk (workspace setting crime_sources). "
                        "Where force extracts serve every month, serious violence by Home "
                        "Office offence codes " + codes(sv.ho_offence_codes) + " is shown too."))
        s.add(Paragraph("Violence with injury (force extracts only): Home Office offence codes "
                        + codes(VWI_OFFENCE_CODES) + ". Knife crime: records flagged as "
                        "involving a knife or sharp instrument in force extracts. Sharp-object "
                        "admissions: ICD-10 external cause X99, patients aged under 25."))
        s.add(Paragraph(f"Area: {self.area.name} was identified by {self.area.method}. "
                        f"Police source used: {self.source_text}. Population: "
                        f"{self.pop.source}."))
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


__all__ = ["build_profile", "Publisher", "PARTNER_INDICATORS"]

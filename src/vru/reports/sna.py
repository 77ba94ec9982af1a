"""The Strategic Needs Assessment (Serious Violence Duty) for one area and period.

Built by composition on the problem profile (``vru.reports.profile``): the same builder, the same
canonical crime view, the same disclosure gate and the same document model, with the sections
published SNAs have, in their order. Each section is either generated from data (its tables and
charts) or a narrative the partnership writes (``vru sna narrative``; versioned in the workspace,
``vru.reports.sna_store``), which says plainly "not yet written" while it is empty. The
governance block reads the sign-off record (``vru sna signoff``).
"""

from __future__ import annotations

from dataclasses import dataclass

from vru import periods
from vru.analysis import cost_of_violence as cov
from vru.analysis import indicators as ind
from vru.reports import profile_people, profile_place, profile_programme, sna_benchmarks
from vru.reports.document import COUNT, LABEL, PERCENT, TEXT, Column, Document, FindingList, Paragraph, Section, Table
from vru.reports.labels import label
from vru.reports.profile import _Builder
from vru.reports.profile_data import VWI_OFFENCE_CODES, Area, police_sources, resolve_area
from vru.reports.publish import codes
from vru.reports.sna_store import Narrative, SignOff, area_key, narratives, signoffs
from vru.workspace import Workspace


@dataclass(frozen=True)
class SnaSection:
    id: str
    title: str
    narrative: str | None  # what the partnership is asked to write here; None: generated only


# The order of published SNAs (Home Office Serious Violence Duty guidance, and the SNAs of the
# VRUs): summary first, then the problem, the people and places, the themes, cost, provision,
# voice, what to do, what is missing, and the document's governance.
SECTIONS: tuple[SnaSection, ...] = (
    SnaSection("summary", "Executive summary and priorities",
               "The partnership's priorities for the coming year and why."),
    SnaSection("definition", "Serious violence: the local definition", None),
    SnaSection("benchmarks", "Comparison with England and Wales and similar forces", None),
    SnaSection("trends", "Trends and timing", None),
    SnaSection("people", "Victims and suspects", None),
    SnaSection("ed_gap", "The emergency department and police gap", None),
    SnaSection("place", "Where violence happens", None),
    SnaSection("drivers", "Drivers, risk and protective factors",
               "Drivers of violence and the risk and protective factors seen locally "
               "(adverse childhood experiences, deprivation, education, substance misuse)."),
    SnaSection("cohorts", "Vulnerable cohorts",
               "Excluded pupils, children in care, young people not in education, employment or "
               "training, and children known to youth justice."),
    SnaSection("exploitation", "Exploitation and county lines",
               "Criminal and sexual exploitation, county lines and organised crime."),
    SnaSection("domestic", "Domestic abuse", "What the partnership knows about domestic abuse."),
    SnaSection("vawg", "Sexual violence and violence against women and girls",
               "Sexual violence and violence against women and girls."),
    SnaSection("weapons", "Weapon-enabled violence, homicide and firearms",
               "Knife crime, homicide and firearms."),
    SnaSection("cost", "The cost of violence", None),
    SnaSection("provision", "Current provision and gaps",
               "Services in place, who they reach, and the gaps."),
    SnaSection("voice", "The voice of young people and communities",
               "What young people and communities have told the partnership."),
    SnaSection("recommendations", "Recommendations", "The partnership's recommendations."),
    SnaSection("data_gaps", "Data gaps", "What data the partnership lacks and how to close the gaps."),
    SnaSection("methods", "Methods and definitions", None),
    SnaSection("governance", "Governance and sign-off", None),
)
NARRATIVE_SECTIONS = {s.id for s in SECTIONS if s.narrative}
NOT_YET_WRITTEN = "Not yet written"

# Home Office offence codes (force extracts) for the themes and the cost of violence.
HOMICIDE_CODES = ("1", "4.1", "4.2", "4.10")
FIREARM_CODES = ("10A", "81")
RAPE_PREFIX = "19"
OTHER_SEXUAL_CODES = ("17A", "17B", "18", "20A", "20B", "21", "22A", "22B", "23", "70", "71",
                      "73", "74", "88A", "88B", "88C", "88D", "88E")
VIOLENCE_WITHOUT_INJURY_CODES = ("105A", "105B", "104", "3A", "3B")


def build_sna(ws: Workspace, area: str | Area, period: str | periods.Period,
              privileged: bool = False) -> Document:
    """Assemble the SNA for ``area`` over ``period`` (a financial year or any months)."""
    a = resolve_area(ws, area) if isinstance(area, str) else area
    p = periods.parse_period(period) if isinstance(period, str) else period
    return _SnaBuilder(ws, a, p, privileged).build()


def _in(codes) -> str:
    return ", ".join("'" + c.replace("'", "''") + "'" for c in codes)


def _money(v: float) -> str:
    """Money to the precision the unit costs carry (no false pennies or pounds)."""
    if v >= 1e6:
        return f"£{v / 1e6:,.1f} million"
    return f"£{round(v, -3):,.0f}"


class _SnaBuilder:
    """The SNA around the profile's context and sections (composition: the profile builder is
    the context every generated section reads, and the profile's section functions are reused
    as they are)."""

    def __init__(self, ws: Workspace, area: Area, period: periods.Period, privileged: bool):
        self.ctx = _Builder(ws, area, period, privileged)
        self.key = area_key(area)
        self.narr: dict[str, Narrative] = narratives(ws, self.key, period.label)
        self.signed: list[SignOff] = signoffs(ws, self.key, period.label)
        d = self.ctx.doc
        d.title = f"{area.name}: Strategic Needs Assessment for serious violence"
        d.meta["file_stem"] = f"sna-{area.name}-{period.label}" + ("-exact" if privileged else "")
        d.meta["running_header"] = (f"{area.name} Strategic Needs Assessment, "
                                    f"{self.ctx._period_text()}")
        d.meta["kind"] = "sna"

    # ------------------------------------------------------------------ build
    def build(self) -> Document:
        d = self.ctx.doc
        made = {s.id: d.section(s.id, s.title) for s in SECTIONS}
        gen = {
            "definition": self._definition, "trends": self.ctx._trends,
            "benchmarks": lambda s: sna_benchmarks.benchmarks(self.ctx, s),
            "people": lambda s: profile_people.people(self.ctx, s),
            "ed_gap": lambda s: profile_people.ed_gap(self.ctx, s),
            "place": lambda s: profile_place.place(self.ctx, s), "cohorts": self._cohorts,
            "domestic": self._domestic, "vawg": self._vawg, "weapons": self._weapons,
            "cost": self._cost,
            "provision": self._provision,
            "data_gaps": self.ctx._coverage,
            "methods": self.ctx._methods,
        }
        for spec in SECTIONS:
            s = made[spec.id]
            if spec.narrative:
                self._narrative(s, spec)
            if spec.id in gen:
                gen[spec.id](s)
        summary = made["summary"]
        if self.ctx.findings:
            summary.add(Paragraph("What the data show (each finding names the table it comes "
                                  "from):"))
            summary.add(FindingList(self.ctx.findings))
        else:
            summary.add(Paragraph("No police-recorded offences were found for this area and "
                                  "period, so there are no findings from the data."))
        self._governance(made["governance"])
        return d.finalise()

    # ------------------------------------------------------------------ narratives
    def _narrative(self, s: Section, spec: SnaSection) -> None:
        n = self.narr.get(spec.id)
        if n is None or not n.body:
            s.add(Paragraph(f"{NOT_YET_WRITTEN}: the partnership has not yet written this "
                            f"section ({spec.narrative[0].lower() + spec.narrative[1:]})"))
            return
        for para in (x.strip() for x in n.body.split("\n\n")):
            if para:
                s.add(Paragraph(para))
        # Dates in ISO form and the edit as "v2": neither reads as a count of offences.
        s.add(Paragraph(f"Written by {n.author}, version v{n.version}, "
                        f"{n.written_at:%Y-%m-%d}."))

    # ------------------------------------------------------------------ definition
    def _definition(self, s: Section) -> None:
        sv = self.ctx.ws.settings.serious_violence
        proxy = ("On data.police.uk data alone this is a proxy: it counts all violence and "
                 "sexual offences plus robbery and possession of weapons, because the published "
                 "categories cannot separate serious violence from, for example, harassment or "
                 "common assault.")
        s.add(Paragraph("Serious violence in this assessment is the partnership's definition: "
                        f"{sv.description} "
                        + (proxy if self.ctx.source != "police_rms" else
                           "Force crime extracts carry Home Office offence codes, so the "
                           "serious violence by offence code shown below is the narrower "
                           "measure; the category-based figure is kept to compare with "
                           "data.police.uk.")))
        self.ctx._about(s)
        self.ctx._headline(s)
        self.ctx._comparison(s)

    # ------------------------------------------------------------------ themes
    def _force_rows(self, extra: str, params: list, period: periods.Period | None = None) -> tuple:
        p = period or self.ctx.period
        return self.ctx.ws.sql(
            f"SELECT {extra} FROM canonical_crimes c WHERE {self.ctx.area.where} "
            "AND c.month BETWEEN ? AND ?", [*params, *self.ctx.area.params, p.first, p.last])[0]

    def _cohorts(self, s: Section) -> None:
        """Vulnerable cohorts from the partner sources the workspace holds: pupils excluded or
        suspended (distinct pupils, permanent exclusions, suspensions) and youth justice
        first-time entrants, residents of the area; cohorts no data hub source carries yet
        (children in care, NEET) are named as gaps."""
        ws, p, pub = self.ctx.ws, self.ctx.period, self.ctx.pub
        lsoas = self.ctx.area.lsoa_codes
        window = [p.first, periods.add_months(p.last, 1), lsoas]
        rows = []
        if ws.table_exists("education_exclusions") and ws.scalar(
                "SELECT count(*) FROM education_exclusions"):
            pupils, perm, susp = ws.sql(
                """SELECT count(DISTINCT pupil_pid),
                          count(*) FILTER (WHERE exclusion_type = 'PERMANENT'),
                          count(*) FILTER (WHERE exclusion_type = 'SUSPENSION')
                   FROM education_exclusions WHERE event_date >= ? AND event_date < ?
                   AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))""", window)[0]
            src = "Education (local authority)"
            rows += [["Pupils excluded or suspended (distinct pupils)", pub.count(int(pupils)), src],
                     ["Permanent exclusions", pub.count(int(perm)), src],
                     ["Suspensions", pub.count(int(susp)), src]]
        else:
            rows.append(["School exclusions and suspensions", None, "no data supplied"])
        if ws.table_exists("youth_justice_events") and ws.scalar(
                "SELECT count(*) FROM youth_justice_events"):
            fte = ws.scalar(
                """SELECT count(DISTINCT person_pid) FROM youth_justice_events
                   WHERE upper(event_type) = 'FTE' AND event_date >= ? AND event_date < ?
                   AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))""", window)
            rows.append(["Youth justice first-time entrants (young people)",
                         pub.count(int(fte or 0)), "Youth justice service"])
        else:
            rows.append(["Youth justice first-time entrants", None, "no data supplied"])
        rows += [["Children in care", None, "no data hub source yet"],
                 ["Young people not in education, employment or training (NEET)", None,
                  "no data hub source yet"]]
        s.add(Table("t_cohorts", f"Vulnerable cohorts in the partner data, {p.label}",
                    [Column("Cohort", LABEL), Column("Young people or events", COUNT),
                     Column("Source", TEXT)], rows,
                    note="Residents of the area (LSOA of residence) in the period. Children in "
                         "care and young people not in education, employment or training are "
                         "not yet imported by the data hub: a data gap to close with the local "
                         "authority's children's services and careers service."))

    def _domestic(self, s: Section) -> None:
        if self.ctx.source != "police_rms":
            s.add(Paragraph("Domestic abuse cannot be counted from data.police.uk: its records "
                            "carry no domestic abuse flag. Force crime extracts for every month "
                            "of the period would give these figures."))
            return
        p, prev = self.ctx.period, self.ctx.prev
        vso = "c.crime_type = 'Violence and sexual offences'"
        rows = self.ctx.ws.sql(
            f"""SELECT count(*) FILTER (WHERE c.domestic_flag AND {vso}),
                       count(*) FILTER (WHERE {vso}),
                       count(*) FILTER (WHERE c.domestic_flag AND c.serious_violence),
                       count(*) FILTER (WHERE c.domestic_flag),
                       count(*) FILTER (WHERE c.domestic_flag AND {vso} AND
                                        lower(c.victim_sex) IN ('f', 'female'))
                FROM canonical_crimes c WHERE {self.ctx.area.where} AND c.month BETWEEN ? AND ?""",
            [*self.ctx.area.params, p.first, p.last])[0]
        before = self.ctx.ws.sql(
            f"SELECT count(*) FILTER (WHERE c.domestic_flag AND {vso}) FROM canonical_crimes c "
            f"WHERE {self.ctx.area.where} AND c.month BETWEEN ? AND ?",
            [*self.ctx.area.params, prev.first, prev.last])[0][0]
        da_vso, all_vso, da_sv, da_all, da_f = (int(x) for x in rows)
        t = s.add(Table(
            "t_domestic", "Domestic abuse-related offences",
            [Column("Measure", LABEL), Column(p.label, COUNT), Column(prev.label, COUNT),
             Column("Share", PERCENT)],
            [["Domestic abuse-related violence and sexual offences", self.ctx.pub.count(da_vso),
              self.ctx.pub.count(int(before)), self.ctx.pub.share(da_vso, all_vso)],
             ["Domestic abuse-related serious violence", self.ctx.pub.count(da_sv), None,
              self.ctx.pub.share(da_sv, int(self.ctx.cur.get("sv", 0)))],
             ["All domestic abuse-related offences", self.ctx.pub.count(da_all), None, None],
             ["Domestic abuse-related violence with a female victim", self.ctx.pub.count(da_f),
              None, self.ctx.pub.share(da_f, da_vso)]],
            note="Offences the force flagged as domestic abuse-related. Shares: of all violence "
                 "and sexual offences, of all serious violence, and of domestic abuse-related "
                 "violence, in turn."))
        share = self.ctx.pub.share(da_vso, all_vso)
        if isinstance(share, float):
            self.ctx._find(f"{share:.1f}% of violence and sexual offences were flagged as domestic "
                       "abuse-related.", t.id)

    def _vawg(self, s: Section) -> None:
        p = self.ctx.period
        if self.ctx.source != "police_rms":
            n = self._force_rows("count(*) FILTER (WHERE c.crime_type = 'Violence and sexual "
                                 "offences')", [])[0]
            s.add(Paragraph(
                f"data.police.uk publishes sexual offences inside one category with violence "
                f"({self.ctx.pub.count_text(int(n))} violence and sexual offences in "
                f"{self.ctx._period_text()}), so rape and other sexual offences cannot be counted "
                "separately, nor the sex of victims. Force crime extracts would give them."))
            return
        row = self._force_rows(
            f"""count(*) FILTER (WHERE c.ho_offence_code LIKE '{RAPE_PREFIX}%'),
                count(*) FILTER (WHERE c.ho_offence_code IN ({_in(OTHER_SEXUAL_CODES)})),
                count(*) FILTER (WHERE c.crime_type = 'Violence and sexual offences'
                                 AND lower(c.victim_sex) IN ('f', 'female')),
                count(*) FILTER (WHERE c.crime_type = 'Violence and sexual offences'
                                 AND c.victim_sex IS NOT NULL)""", [])
        rape, other, fem, known = (int(x) for x in row)
        s.add(Table("t_sexual", f"Sexual offences and violence against women, {p.label}",
                    [Column("Measure", LABEL), Column("Offences", COUNT), Column("Share", PERCENT)],
                    [["Rape", self.ctx.pub.count(rape), None],
                     ["Other sexual offences", self.ctx.pub.count(other), None],
                     ["Violence and sexual offences with a female victim", self.ctx.pub.count(fem),
                      self.ctx.pub.share(fem, known)]],
                    note="Rape: Home Office offence codes 19A to 19H. Other sexual offences: "
                         "codes " + codes(OTHER_SEXUAL_CODES) + ". Share: of offences whose "
                         "victim's sex is recorded."))

    def _weapons(self, s: Section) -> None:
        """Weapon-enabled violence in the period and the one before: the police.uk categories on
        either source; homicide, firearms and the knife flag only from force extracts (and
        compared only when extracts serve the previous period too)."""
        ctx = self.ctx
        rms = ctx.source == "police_rms"
        prev_rms = police_sources(ctx.ws, ctx.area, ctx.prev) == ["police_rms"]
        knife = "c.knife_flag"
        measures = [
            ("Possession of weapons", "c.crime_type = 'Possession of weapons'", False),
            ("Robbery", "c.crime_type = 'Robbery'", False),
            ("Homicide", f"c.ho_offence_code IN ({_in(HOMICIDE_CODES)})", True),
            ("Firearms possession offences", f"c.ho_offence_code IN ({_in(FIREARM_CODES)})", True),
            ("Knife or sharp-instrument crime (flagged)", knife, True),
            ("of which robbery", f"{knife} AND c.crime_type = 'Robbery'", True),
            ("of which violence and sexual offences",
             f"{knife} AND c.crime_type = 'Violence and sexual offences'", True),
        ]
        use = [(lab, pred) for lab, pred, needs in measures if rms or not needs]
        sums = ", ".join(f"count(*) FILTER (WHERE {pred})" for _, pred in use)
        cur = dict(zip([lab for lab, _ in use], self._force_rows(sums, []), strict=True))
        before = dict(zip([lab for lab, _ in use], self._force_rows(sums, [], ctx.prev),
                          strict=True))
        na = "not available from data.police.uk"
        rows = []
        for lab, _, needs in measures:
            if lab not in cur:
                rows.append([lab, na, None, None])
                continue
            c, b = int(cur[lab]), int(before[lab])
            comparable = not needs or prev_rms
            rows.append([lab, ctx.pub.count(c), ctx.pub.count(b) if comparable else None,
                         ctx._change_text(ind.change_between(b, c)) if comparable
                         else "not compared"])
        s.add(Table("t_weapons", f"Weapon-enabled violence, {ctx.period.label}",
                    [Column("Measure", LABEL), Column(ctx.period.label, COUNT),
                     Column(ctx.prev.label, COUNT), Column("Change", TEXT)], rows,
                    note="Homicide: Home Office offence codes " + codes(HOMICIDE_CODES)
                         + ". Firearms: codes " + codes(FIREARM_CODES) + ". Knife crime: "
                         "the force's knife or sharp-instrument flag. Change: exact test of the "
                         "two periods' counts, '(rose)' or '(fell)' when significant at the 5% "
                         "level; force-extract measures are compared only when extracts serve "
                         "both periods."))

    # ------------------------------------------------------------------ cost
    def cost_counts(self) -> tuple[dict[str, int], bool]:
        """Offences in each costed category, and whether violence was split by offence code
        (force extracts) or costed as a lower bound (data.police.uk)."""
        if self.ctx.source == "police_rms":
            vwi = tuple(c for c in VWI_OFFENCE_CODES if c not in HOMICIDE_CODES)
            row = self._force_rows(
                f"""count(*) FILTER (WHERE c.ho_offence_code IN ({_in(HOMICIDE_CODES)})),
                    count(*) FILTER (WHERE c.ho_offence_code IN ({_in(vwi)})),
                    count(*) FILTER (WHERE c.ho_offence_code IN
                                     ({_in(VIOLENCE_WITHOUT_INJURY_CODES)})),
                    count(*) FILTER (WHERE c.ho_offence_code LIKE '{RAPE_PREFIX}%'),
                    count(*) FILTER (WHERE c.ho_offence_code IN ({_in(OTHER_SEXUAL_CODES)})),
                    count(*) FILTER (WHERE c.crime_type = 'Robbery')""", [])
            keys = ("homicide", "violence_with_injury", "violence_without_injury", "rape",
                    "other_sexual", "robbery")
            return dict(zip(keys, (int(x) for x in row), strict=True)), True
        row = self._force_rows("count(*) FILTER (WHERE c.crime_type = 'Violence and sexual "
                               "offences'), count(*) FILTER (WHERE c.crime_type = 'Robbery')", [])
        return {"violence_without_injury": int(row[0]), "robbery": int(row[1])}, False

    def _cost(self, s: Section) -> None:
        counts, split = self.cost_counts()
        factor = cov.uplift()
        names = {"homicide": "Homicide", "violence_with_injury": "Violence with injury",
                 "violence_without_injury": ("Violence without injury" if split else
                                             "Violence and sexual offences (lower bound)"),
                 "rape": "Rape", "other_sexual": "Other sexual offences", "robbery": "Robbery"}
        rows, total, withheld = [], 0.0, False
        for line in cov.cost_lines(counts, factor):
            published = self.ctx.pub.count(line.count)
            if isinstance(published, str) or published is None:
                cost_cell, withheld = self.ctx.pub.rule.symbol, True
            else:
                # Costs are derived from the published count, so rounding is never undone.
                cost_cell = _money(published * line.unit_cost)
                total += published * line.unit_cost
            rows.append([names[line.category], published, f"£{line.unit_cost_2015_16:,.0f}",
                         f"£{line.unit_cost:,.0f}", cost_cell])
        rows.append(["Total", None, None, None, _money(total)])
        t = s.add(Table(
            "t_cost", f"The cost of violence, {self.ctx.period.label} (2023/24 prices)",
            [Column("Offences", LABEL), Column("Count", COUNT),
             Column("Unit cost (2015/16 prices)", TEXT), Column("Unit cost (2023/24 prices)", TEXT),
             Column("Cost", TEXT)], rows,
            note=f"Unit costs: {cov.SOURCE}; uplifted by {factor:.3f} with the "
                 f"{cov.DEFLATOR_SOURCE}. "
                 + ("" if split else "data.police.uk does not split violence and sexual "
                    "offences, so all are costed at the lowest unit cost (violence without "
                    "injury): a lower bound. ")
                 + ("Lines with a suppressed count are left out of the total. " if withheld
                    else "")
                 + "Costs cover the whole of society (victims' physical and emotional harm, "
                   "lost output, health and criminal justice services)."))
        if total:
            self.ctx._find(f"Violence in the period cost an estimated {_money(total)} at 2023/24 "
                       "prices" + ("" if split else " at least") + ".", t.id)

    # ------------------------------------------------------------------ provision
    def _provision(self, s: Section) -> None:
        profile_programme.programme(self.ctx, s)
        profile_programme.reach_by_area(self.ctx, s)

    # ------------------------------------------------------------------ governance
    def _governance(self, s: Section) -> None:
        authors = sorted({n.author for n in self.narr.values()})
        last = self.signed[-1] if self.signed else None
        edits = max((n.written_at for n in self.narr.values()), default=None)
        status = ("Signed off" if last and (edits is None or edits <= last.signed_at)
                  else "Draft: changed since sign-off" if last else "Draft: not yet signed off")
        rows = [
            ["Status", status],
            ["Authors", (", ".join(authors) + " (narrative); " if authors else "")
             + "data sections generated by vru"],
            ["Version", last.version if last else "draft"],
            ["Signed off by", f"{last.signed_by}, {last.role}" if last else "not yet signed off"],
            ["Signed off on", f"{last.signed_at:%Y-%m-%d}" if last else "not yet signed off"],
            ["Review date", f"{last.review_date:%Y-%m-%d}" if last else "set at sign-off"],
            ["Produced", f"{self.ctx.doc.created:%Y-%m-%d %H:%M}"],
            ["Data", label(self.ctx.source, "source") if self.ctx.source in ("police_uk", "police_rms")
             else "force crime extracts and data.police.uk, by force and month"],
        ]
        s.add(Table("t_governance", "Document control", [Column("Item", LABEL),
                                                         Column("Detail", TEXT)], rows))
        if len(self.signed) > 1:
            s.add(Table("t_signoffs", "Sign-off record",
                        [Column("Version", LABEL), Column("Signed off by", TEXT),
                         Column("Role", TEXT), Column("Date", TEXT)],
                        [[x.version, x.signed_by, x.role, f"{x.signed_at:%Y-%m-%d}"]
                         for x in self.signed]))

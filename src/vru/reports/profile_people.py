"""Profile sections about people: victims and suspects, repeat victims, first-time entrants,
and the emergency department and police gap. Section functions of
the profile (``vru.reports.profile``): each takes the ``ProfileContext`` (workspace, area,
period, publisher) and the section to fill."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from vru import periods
from vru.analysis import indicators as ind
from vru.reports.document import COUNT, LABEL, NUMBER, PERCENT, Column, Paragraph, Section, Table
from vru.reports.labels import CODE_LISTS
from vru.reports.labels import label as code_label
from vru.reports.profile_data import table_exists

if TYPE_CHECKING:
    from vru.reports.profile import PoliceIndicator, ProfileContext


# ------------------------------------------------------------------ people


def people(ctx: ProfileContext, s: Section) -> None:
    p, a = ctx.period, ctx.local
    sv = next(i for i in ctx.inds if i.key == "sv")
    has = ctx.aq(
        f"""SELECT count(*), count(c.victim_age), count(c.victim_sex), count(c.suspect_pid)
            FROM area_crimes c WHERE {a.where} AND {sv.predicate}
            AND c.month BETWEEN ? AND ?""", [*a.params, p.first, p.last])[0]
    total, n_age, n_sex, n_sus = has
    repeat_done = _repeat_admissions(ctx, s)
    _fte_people(ctx, s)
    if not (n_age or n_sex or n_sus):
        s.add(Paragraph("Victim and suspect details are not available: data.police.uk "
                        "records carry no age, sex or identifiers. Import force extracts "
                        "to add them."
                        + ("" if repeat_done else " Repeat victimisation needs victim "
                           "identifiers, which no source in this workspace supplies.")))
        return
    if n_age or n_sex:
        rows = ctx.aq(
            f"""SELECT {_age_band_sql('c.victim_age')} AS band,
                   count(*) FILTER (WHERE lower(c.victim_sex) IN ('m', 'male')),
                   count(*) FILTER (WHERE lower(c.victim_sex) IN ('f', 'female')),
                   count(*)
            FROM area_crimes c WHERE {a.where} AND {sv.predicate}
            AND c.month BETWEEN ? AND ? GROUP BY 1""",
            [*a.params, p.first, p.last])
        rows.sort(key=lambda r: AGE_BANDS.index(r[0]))
        out = [[b, ctx.pub.count(m), ctx.pub.count(f), ctx.pub.count(n),
                ctx.pub.share(n, total)] for b, m, f, n in rows]
        t = s.add(Table("t_victims", "Victims of serious violence by age and sex",
                        [Column("Victim age", LABEL), Column("Male", COUNT),
                         Column("Female", COUNT), Column("All", COUNT),
                         Column("Share", PERCENT)], out,
                        note="Sex not recorded is included in All."))
        u25 = sum(n for b, _, _, n in rows if b in ("Under 18", "18 to 24"))
        known = sum(n for b, _, _, n in rows if b != "Not recorded")
        if known and not ctx.pub.hidden(u25) and not ctx.pub.hidden(known):
            lo, hi = ind.wilson_interval(u25, known)
            ctx._find(f"Under-25s were {100 * u25 / known:.1f}% of serious violence "
                       f"victims whose age was recorded (95% CI {100 * float(lo):.1f}% "
                       f"to {100 * float(hi):.1f}%).", t.id)
    _ethnicity(ctx, s, sv)
    _suspect_age_sex(ctx, s, sv)
    if n_sus:
        r = ctx.aq(
            f"""WITH s AS (SELECT c.suspect_pid, count(*) n FROM area_crimes c
                WHERE {a.where} AND {sv.predicate}
                AND c.month BETWEEN ? AND ? AND c.suspect_pid IS NOT NULL GROUP BY 1)
                SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0),
                       coalesce(sum(n) FILTER (WHERE n > 1), 0) FROM s""",
            [*a.params, p.first, p.last])[0]
        people, repeat, offences, rep_off = (int(x) for x in r)
        t = s.add(Table("t_suspects", "Repeat suspects (pseudonymised identifiers)",
                        [Column("Measure", LABEL), Column("Count", COUNT),
                         Column("Share", PERCENT)],
                        [["Distinct suspects", ctx.pub.count(people), None],
                         ["Suspects linked to more than one offence", ctx.pub.count(repeat),
                          ctx.pub.share(repeat, people)],
                         ["Offences with a suspect recorded", ctx.pub.count(offences),
                          None],
                         ["Offences linked to a repeat suspect", ctx.pub.count(rep_off),
                          ctx.pub.share(rep_off, offences)]]))
        share = ctx.pub.share(rep_off, offences)
        if isinstance(share, float):
            ctx._find(f"Repeat suspects were linked to {share:.1f}% of serious violence "
                       "offences with a suspect recorded.", t.id)


AGE_BANDS = ("Under 18", "18 to 24", "25 to 34", "35 to 49", "50 and over", "Not recorded")


def _age_band_sql(col: str) -> str:
    return (f"CASE WHEN {col} IS NULL THEN 'Not recorded' WHEN {col} < 18 THEN 'Under 18' "
            f"WHEN {col} < 25 THEN '18 to 24' WHEN {col} < 35 THEN '25 to 34' "
            f"WHEN {col} < 50 THEN '35 to 49' ELSE '50 and over' END")


def _ethnicity(ctx: ProfileContext, s: Section, sv: PoliceIndicator) -> None:
    """Victims and suspects of serious violence by ethnicity (ONS five groups), where the force
    extract supplies it: offences by the victim's and by the suspect's recorded ethnicity."""
    p, a = ctx.period, ctx.local
    where = f"FROM area_crimes c WHERE {a.where} AND {sv.predicate} AND c.month BETWEEN ? AND ?"
    args = [*a.params, p.first, p.last]
    vic = dict(ctx.aq(f"SELECT c.victim_ethnicity, count(*) {where} AND c.victim_ethnicity "
                      "IS NOT NULL GROUP BY 1", args))
    sus = dict(ctx.aq(f"SELECT c.suspect_ethnicity, count(*) {where} AND c.suspect_ethnicity "
                      "IS NOT NULL GROUP BY 1", args))
    if not (vic or sus):
        return
    order = [c for c in CODE_LISTS["ethnicity"] if c != "UNKNOWN"] + ["UNKNOWN"]
    nv, ns = sum(vic.values()), sum(sus.values())
    rows = [[code_label(g, "ethnicity"), ctx.pub.count(int(vic.get(g, 0))),
             ctx.pub.share(int(vic.get(g, 0)), nv), ctx.pub.count(int(sus.get(g, 0))),
             ctx.pub.share(int(sus.get(g, 0)), ns)] for g in order]
    s.add(Table("t_ethnicity", "Victims and suspects of serious violence by ethnicity",
                [Column("Ethnic group", LABEL), Column("Victims", COUNT), Column("Share", PERCENT),
                 Column("Suspects", COUNT), Column("Share", PERCENT)], rows,
                note="Offences by the victim's and by the suspect's ethnicity as the force "
                     "recorded it (ONS five groups); a suspect linked to several offences counts "
                     "once for each. Shares are of offences with the ethnicity recorded or "
                     "marked not known. Compare with the area's population by ethnic group "
                     "(Census 2021) before reading over- or under-representation."))


def _suspect_age_sex(ctx: ProfileContext, s: Section, sv: PoliceIndicator) -> None:
    """Suspects of serious violence by age and sex (force extracts that supply them)."""
    p, a = ctx.period, ctx.local
    rows = ctx.aq(
        f"""SELECT {_age_band_sql('c.suspect_age')} AS band,
                   count(*) FILTER (WHERE upper(c.suspect_sex) = 'M'),
                   count(*) FILTER (WHERE upper(c.suspect_sex) = 'F'), count(*)
            FROM area_crimes c WHERE {a.where} AND {sv.predicate} AND c.month BETWEEN ? AND ?
            AND (c.suspect_age IS NOT NULL OR c.suspect_sex IS NOT NULL) GROUP BY 1""",
        [*a.params, p.first, p.last])
    if not rows:
        return
    _age_sex_table(ctx, s, "t_suspect_age", "Suspects of serious violence by age and sex",
                   "Suspect age", rows, AGE_BANDS,
                   "Offences with a suspect whose age or sex is recorded, by the suspect's age at "
                   "the offence; a suspect linked to several offences counts once for each.")


def _age_sex_table(ctx: ProfileContext, s: Section, table_id: str, title: str, first: str,
                   rows: list[tuple], order: tuple[str, ...] | list[str], note: str) -> None:
    """A table of (age band, male, female, all) rows in ``order``, with each band's share."""
    rows = sorted(rows, key=lambda r: order.index(r[0]))
    total = sum(int(r[3]) for r in rows)
    s.add(Table(table_id, title,
                [Column(first, LABEL), Column("Male", COUNT), Column("Female", COUNT),
                 Column("All", COUNT), Column("Share", PERCENT)],
                [[b, ctx.pub.count(int(m)), ctx.pub.count(int(f)), ctx.pub.count(int(n)),
                  ctx.pub.share(int(n), total)] for b, m, f, n in rows], note=note))


def _fte_people(ctx: ProfileContext, s: Section) -> None:
    """Age and sex of young people entering youth justice (first-time entrants): the
    suspects side that partner data can show (police.uk and most extracts cannot)."""
    if not (table_exists(ctx.ws, "youth_justice_events")
            and ctx.ws.scalar("SELECT count(*) FROM youth_justice_events")):
        return
    p = ctx.period
    rows = ctx.aq(
        """SELECT CASE WHEN age < 15 THEN 'Under 15' WHEN age < 18 THEN '15 to 17'
                    ELSE '18 and over' END AS band,
               count(*) FILTER (WHERE upper(sex) IN ('M', 'MALE')),
               count(*) FILTER (WHERE upper(sex) IN ('F', 'FEMALE')), count(*)
           FROM youth_justice_events WHERE upper(event_type) = 'FTE'
           AND event_date >= ? AND event_date < ?
           AND lsoa_code IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1""",
        [p.first, periods.add_months(p.last, 1), ctx.area.lsoa_codes])
    if not rows:
        return
    _age_sex_table(ctx, s, "t_fte", "Youth justice first-time entrants by age and sex", "Age",
                   rows, ("Under 15", "15 to 17", "18 and over"),
                   "Residents of the area (LSOA of residence); sex not recorded is included in "
                   "All.")


def _repeat_admissions(ctx: ProfileContext, s: Section) -> bool:
    """Repeat victims where identifiers allow: patients admitted for assault more than once
    (pseudonymised patient identifiers from hospital admissions)."""
    if not (table_exists(ctx.ws, "hospital_admissions")
            and ctx.ws.scalar("SELECT count(*) FROM hospital_admissions")):
        return False
    p = ctx.period
    r = ctx.aq(
        """WITH a AS (SELECT patient_pid, count(*) n FROM hospital_admissions
               WHERE assault AND patient_pid IS NOT NULL AND admission_date >= ?
               AND admission_date < ? AND lsoa_code IN (SELECT unnest(?::VARCHAR[]))
               GROUP BY 1)
           SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0),
                  coalesce(sum(n) FILTER (WHERE n > 1), 0) FROM a""",
        [p.first, periods.add_months(p.last, 1), ctx.area.lsoa_codes])[0]
    people, repeat, adm, rep_adm = (int(x) for x in r)
    if not people:
        return False
    t = s.add(Table("t_repeat_adm", "Repeat victims: patients admitted for assault more "
                    "than once", [Column("Measure", LABEL), Column("Count", COUNT),
                                  Column("Share", PERCENT)],
                    [["Patients admitted for assault", ctx.pub.count(people), None],
                     ["Patients admitted more than once", ctx.pub.count(repeat),
                      ctx.pub.share(repeat, people)],
                     ["Assault admissions", ctx.pub.count(adm), None],
                     ["Admissions of repeat patients", ctx.pub.count(rep_adm),
                      ctx.pub.share(rep_adm, adm)]],
                    note="Hospital admissions with an ICD-10 assault cause (X85-Y09), "
                         "linked by pseudonymised patient identifier, residents of the "
                         "area."))
    share = ctx.pub.share(rep_adm, adm)
    if isinstance(share, float) and repeat:
        ctx._find(f"{share:.1f}% of assault admissions were of patients admitted for "
                   "assault more than once in the period.", t.id)
    return True


# ------------------------------------------------------------------ ED gap


def ed_gap(ctx: ProfileContext, s: Section) -> None:
    res = ctx.partner.get("ed_assaults")
    if res is None or not res.supplied:
        s.add(Paragraph("No data supplied: no emergency department (ISTV) assault data is "
                        "loaded, so the share of violence seen in hospital that never "
                        "reaches the police cannot be estimated."))
        return
    police_key = "vwi" if ctx.cur.get("vwi") is not None else "vso"
    label = ("violence with injury" if police_key == "vwi"
             else "violence and sexual offences")
    pol = next(i for i in ctx.inds if i.key == police_key)
    p, a = ctx.period, ctx.local
    prow = dict(ctx.aq(
        f"SELECT c.month, count(*) FROM area_crimes c WHERE {a.where} AND "
        f"{pol.predicate} AND c.month BETWEEN ? AND ? GROUP BY 1",
        [*a.params, p.first, p.last]))
    ed = {m if isinstance(m, date) else m.date(): n for m, n in (res.monthly or [])}
    rows = []
    for m in p.months:
        e, q = int(ed.get(m, 0)), int(prow.get(m, 0))
        rows.append([periods.month_label(m), ctx.pub.count(e), ctx.pub.count(q)])
    e_tot, q_tot = int(res.count or 0), int(ctx.cur.get(police_key, 0))
    rows.append(["Whole period", ctx.pub.count(e_tot), ctx.pub.count(q_tot)])
    t = s.add(Table("t_edgap", f"ED assault attendances and police-recorded {label}",
                    [Column("Month", LABEL), Column("ED assaults", COUNT),
                     Column(f"Police: {label}", COUNT)], rows,
                    note=f"ED records assigned to the area {res.area_method}. The two "
                         "sources count different things (attendances, offences); the "
                         "ratio indicates, not measures, under-reporting."))
    _ed_where_when(ctx, s, pol, label)
    if e_tot and not ctx.pub.hidden(e_tot) and not ctx.pub.hidden(q_tot):
        ratio = ctx.pub.ratio(e_tot, q_tot) if q_tot else None
        text = (f"Emergency departments saw {ctx.pub.count_text(e_tot)} assault "
                f"attendances against {ctx.pub.count_text(q_tot)} police-recorded "
                f"{label}")
        if isinstance(ratio, float) and ratio:
            text += f" ({ratio:.2f} ED attendances per police-recorded offence)"
        if res.unplaced:
            text += (f"; {ctx.pub.count_text(res.unplaced)} further attendances had "
                     "no location and could not be placed in any area, so this may "
                     "understate the gap")
        ctx._find(text + ".", t.id)


def _ed_where_when(ctx: ProfileContext, s: Section, pol: PoliceIndicator, label: str) -> None:
    """Where (location type, neighbourhood) and when (time of the assault) ED assaults
    happened, next to the police figures for the same places and times."""
    p, a = ctx.period, ctx.local
    base = ("FROM ed_assaults WHERE lsoa_code IN (SELECT unnest(?::VARCHAR[])) AND "
            "CAST(assault_at AS DATE) >= ? AND CAST(assault_at AS DATE) < ?")
    args = [ctx.area.lsoa_codes, p.first, periods.add_months(p.last, 1)]
    where = ctx.aq(f"SELECT location_type, count(*) n {base} GROUP BY 1 "
                        "ORDER BY n DESC, 1", args)
    total = sum(int(n) for _, n in where)
    if where:
        t = s.add(Table("t_ed_where", "ED assault attendances by type of location",
                        [Column("Location type", LABEL), Column("Attendances", COUNT),
                         Column("Share", PERCENT)],
                        [[code_label(lt, "location_type"), ctx.pub.count(int(n)),
                          ctx.pub.share(int(n), total)]
                         for lt, n in where]))
        lt, n = where[0]
        share = ctx.pub.share(int(n), total)
        if isinstance(share, float):
            ctx._find(f"The most common place of assault among ED attendances was "
                       f"{code_label(lt, 'location_type').lower()} ({share:.1f}%).", t.id)
    by_lsoa = ctx.aq(f"SELECT lsoa_code, count(*) n {base} GROUP BY 1 "
                          "ORDER BY n DESC, 1 LIMIT 10", args)
    if by_lsoa:
        pol_lsoa = dict(ctx.aq(
            f"SELECT c.lsoa_code, count(*) FROM area_crimes c WHERE {a.where} AND "
            f"{pol.predicate} AND c.month BETWEEN ? AND ? AND "
            "c.lsoa_code IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
            [*a.params, p.first, p.last, [r[0] for r in by_lsoa]]))
        names = dict(ctx.aq(
            "SELECT lsoa_code, lsoa_name FROM geo_lsoa WHERE lsoa_code IN "
            "(SELECT unnest(?::VARCHAR[]))", [[r[0] for r in by_lsoa]]))
        rows = []
        for code, n in by_lsoa:
            q = int(pol_lsoa.get(code, 0))
            rows.append([names.get(code) or code, code, ctx.pub.count(int(n)),
                         ctx.pub.count(q), ctx.pub.ratio(int(n), q)])
        s.add(Table("t_ed_lsoa", "Where: neighbourhoods with most ED assault attendances",
                    [Column("LSOA", LABEL), Column("Code", LABEL),
                     Column("ED assaults", COUNT), Column(f"Police: {label}", COUNT),
                     Column("ED per police offence", NUMBER)], rows,
                    note="ED records placed by the LSOA the partner geocoded (the place "
                         "of the assault where given)."))
    hours = dict(ctx.aq(f"SELECT hour(assault_at), count(*) {base} GROUP BY 1", args))
    if hours:
        pol_hours = dict(ctx.aq(
            f"SELECT hour(c.occurred_from), count(*) FROM area_crimes c WHERE {a.where} AND "
            f"{pol.predicate} AND c.month BETWEEN ? AND ? AND "
            "c.occurred_from IS NOT NULL GROUP BY 1", [*a.params, p.first,
                                                        p.last]))
        ptotal = sum(int(v) for v in pol_hours.values())
        bands = [("00:00 to 05:59", range(0, 6)), ("06:00 to 11:59", range(6, 12)),
                 ("12:00 to 17:59", range(12, 18)), ("18:00 to 23:59", range(18, 24))]
        rows = []
        for band, hrs in bands:
            n = sum(int(hours.get(h, 0)) for h in hrs)
            q = sum(int(pol_hours.get(h, 0)) for h in hrs)
            rows.append([band, ctx.pub.count(n), ctx.pub.share(n, total),
                         ctx.pub.share(q, ptotal) if ptotal else None])
        s.add(Table("t_ed_when", "When: ED assault attendances by time of the assault",
                    [Column("Time of day", LABEL), Column("Attendances", COUNT),
                     Column("Share", PERCENT), Column(f"Police {label}: share", PERCENT)],
                    rows, note="Police shares use the recorded start time (force "
                               "extracts); blank when police records carry no times."))


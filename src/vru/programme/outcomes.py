"""Participants' outcomes from linked data: each participant against their own past.

For every young person who started an intervention (engaged), count their events in the 12
months before the start and in the 6 and 12 months after it, in the sources that carry their
identifiers: police force records where they are the suspect (new offences, and violent ones by
the workspace's serious-violence definition), hospital admissions for assault, and school
exclusions/suspensions. A person's events are found by every pseudonym known for them
(``prog_referral_ids``: PNC ID for police records, NHS number for admissions, pupil number for
exclusions) and, when record linkage provides ``person_links``, by the pseudonyms linked to them.

A window counts only people whose whole window lies within the source's data (between its
first and latest event dates): no-one is counted as having "no offences" in months not yet loaded.
This is a before/after description of participants, not an estimate of the intervention's
effect (there is no comparison group; regression to the mean is expected). Counts are exact:
the caller applies disclosure control.
"""

from __future__ import annotations

from typing import Any

from vru.programme.people import has_person_links
from vru.workspace import Workspace

WINDOWS = (("12 months before", -365, 0), ("6 months after", 0, 182),
           ("12 months after", 0, 365))


# Offences are read from the force extract's rows in ``crimes`` (source = 'police_rms'), not from
# the canonical crime view: the question is "which offences was this person the suspect of", and
# only the force extract carries suspects; the canonical view answers "how many crimes", choosing
# one source per force and month.
def _measures(ws: Workspace) -> list[tuple[str, str, str, str, str]]:
    """(measure, table, pid column, pid kind, event date SQL, extra filter)."""
    sv = ws.settings.serious_violence.police_uk_categories
    sv_list = ", ".join("'" + c.replace("'", "''") + "'" for c in sv) or "''"
    return [
        ("offences (as suspect)", "crimes", "suspect_pid", "pnc_id",
         "coalesce(CAST(occurred_from AS DATE), month)", "source = 'police_rms'"),
        ("violent offences (as suspect)", "crimes", "suspect_pid", "pnc_id",
         "coalesce(CAST(occurred_from AS DATE), month)",
         f"source = 'police_rms' AND crime_type IN ({sv_list})"),
        ("hospital admissions for assault", "hospital_admissions", "patient_pid", "nhs_number",
         "admission_date", "assault"),
        ("school exclusions and suspensions", "education_exclusions", "pupil_pid", "upn",
         "event_date", "TRUE"),
    ]


def before_after(ws: Workspace, intervention_id: int) -> list[dict[str, Any]]:
    con = ws.reader()
    linked = has_person_links(con)
    # Each participant: the first start of their person within this intervention.
    ids = ("SELECT i.referral_id, i.pid_kind AS kind, i.pid FROM prog_referral_ids i")
    if linked:
        ids += (" UNION SELECT i.referral_id, 'linked' AS kind, l2.pid FROM prog_referral_ids i "
                "JOIN person_links l1 ON l1.pid = i.pid JOIN person_links l2 "
                "ON l2.person_id = l1.person_id")
    out: list[dict[str, Any]] = []
    started = con.execute(
        "SELECT count(*) FROM prog_referrals WHERE intervention_id = ? AND engaged_date IS NOT "
        "NULL", [intervention_id]).fetchone()[0]
    for measure, table, col, kind, when, extra in _measures(ws):
        kinds = f"('{kind}', 'linked')"
        row_sql = f"""
            WITH starts AS (
                SELECT referral_id, engaged_date AS d0 FROM prog_referrals
                WHERE intervention_id = ? AND engaged_date IS NOT NULL),
            ids AS ({ids}),
            ev AS (SELECT {col} AS pid, {when} AS d FROM {table} WHERE {extra}
                   AND {col} IS NOT NULL),
            data_end AS (SELECT min(d) AS d_start, max(d) AS d1 FROM ev),
            matched AS (
                SELECT s.referral_id, s.d0, e.d FROM starts s
                JOIN (SELECT DISTINCT referral_id, pid FROM ids WHERE kind IN {kinds}) x
                     USING (referral_id)
                JOIN ev e ON e.pid = x.pid),
            known AS (SELECT DISTINCT s.referral_id FROM starts s JOIN ids x USING (referral_id)
                      WHERE x.kind IN {kinds})"""
        for label, lo, hi in WINDOWS:
            people, events = con.execute(row_sql + f"""
                SELECT (SELECT count(*) FROM known k JOIN starts s USING (referral_id), data_end
                        WHERE s.d0 + {hi} <= data_end.d1 AND s.d0 + {lo} >= data_end.d_start),
                       (SELECT count(*) FROM matched m JOIN known k USING (referral_id), data_end
                        WHERE m.d >= m.d0 + {lo} AND m.d < m.d0 + {hi}
                          AND m.d0 + {hi} <= data_end.d1
                          AND m.d0 + {lo} >= data_end.d_start)""",
                                         [intervention_id]).fetchone()
            out.append({"measure": measure, "window": label, "started": int(started),
                        "participants": int(people), "events": int(events),
                        "per_100_participants": round(100.0 * events / people, 1)
                        if people else None})
    return out

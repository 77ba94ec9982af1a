"""The data hub's sources by name (used by the CLI, retention and the docs tests)."""

from __future__ import annotations

from vru.sources.admissions import ADMISSIONS
from vru.sources.contract import Source
from vru.sources.education import EDUCATION
from vru.sources.em_gps import EM_GPS
from vru.sources.istv import ISTV
from vru.sources.patrols import PATROLS
from vru.sources.police_rms import POLICE_RMS
from vru.sources.programme import PROGRAMME
from vru.sources.youth_justice import YOUTH_JUSTICE

SOURCES: dict[str, Source] = {
    s.name: s for s in (POLICE_RMS, ISTV, ADMISSIONS, EDUCATION, YOUTH_JUSTICE, EM_GPS, PATROLS,
              PROGRAMME)
}

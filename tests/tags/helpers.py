"""Hand-built tag data written straight into the hub tables (the importer is tested elsewhere)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from vru.geo.bng import to_lonlat
from vru.privacy import agreements
from vru.workspace import Workspace

E0, N0 = 505_000.0, 250_000.0   # somewhere in Bedfordshire, BNG
PERSON = "p" * 16
ORDER_ROW = (PERSON, date(2024, 1, 1), date(2025, 12, 31))


def agree(ws: Workspace, em_purposes=("electronic monitoring",), months: int = 120) -> None:
    with ws.transaction() as con:
        agreements.add(con, "em_gps", "Probation Service", "Offender Management Act 2007",
                       list(em_purposes), months)
        agreements.add(con, "police_rms", "Kingsmere Police", "policing purposes",
                       ["crime-scene correlation"], months)


def put(ws: Workspace, people=(), pings=(), zones=(), crimes=(), import_id: int = 1) -> None:
    """people: (pid, start, end); pings: (pid, local datetime, e, n, accuracy or None);
    zones: (pid, zone_id, type, wkt (WGS84), from, to, days, start 'HH:MM'|None, end);
    crimes: (ref, from local, to local or None, e, n)."""
    with ws.transaction() as con:
        for i, (pid, a, b) in enumerate(people):
            con.execute("INSERT INTO em_people VALUES (?, 'GPS_TRAIL', ?, ?, NULL, 1, ?, ?)",
                        [pid, a, b, i + 1, import_id])
        for i, (pid, t, e, n, acc) in enumerate(pings):
            lon, lat = to_lonlat(e, n)
            con.execute("INSERT INTO em_pings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [pid, t, float(lon), float(lat), e, n, acc, import_id, i + 1, import_id])
        for i, z in enumerate(zones):
            pid, zid, kind, wkt, a, b, days, st, en = z
            con.execute("INSERT INTO em_zones VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 1, ?, ?)",
                        [pid, zid, kind, wkt, a, b, days, st, en, i + 1, import_id])
        for i, (ref, f, t, e, n) in enumerate(crimes):
            lon, lat = to_lonlat(e, n)
            con.execute(
                "INSERT INTO crimes (source, crime_id, month, occurred_from, occurred_to, "
                "longitude, latitude, easting, northing, crime_type, file_id, row_number, "
                "import_id) VALUES ('police_rms', ?, ?, ?, ?, ?, ?, ?, ?, 'Burglary', 1, ?, ?)",
                [ref, date(f.year, f.month, 1), f, t or f, float(lon), float(lat), e, n, i + 1,
                 import_id])


def walk(pid: str, start: datetime, minutes: int, every: int, e0: float, n0: float,
         ve: float = 0.0, vn: float = 0.0, acc: float | None = 5.0):
    """Fixes every ``every`` minutes for ``minutes``, moving (ve, vn) metres per minute."""
    return [(pid, start + timedelta(minutes=m), e0 + ve * m, n0 + vn * m, acc)
            for m in range(0, minutes + 1, every)]


def square_wkt(e: float, n: float, half: float, hole: float | None = None) -> str:
    def ring(h: float, ccw: bool = True) -> str:
        pts = [(e - h, n - h), (e + h, n - h), (e + h, n + h), (e - h, n + h)]
        if not ccw:
            pts = pts[::-1]
        pts.append(pts[0])
        lon, lat = to_lonlat([p[0] for p in pts], [p[1] for p in pts])
        return "(" + ", ".join(f"{x:.9f} {y:.9f}" for x, y in zip(lon, lat, strict=True)) + ")"
    rings = [ring(half)] + ([ring(hole, False)] if hole else [])
    return "POLYGON(" + ", ".join(rings) + ")"

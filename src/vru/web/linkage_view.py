"""The data hub's linkage quality view (page and API): aggregates only, disclosure-controlled
for roles without exact counts. Person-level linkage (explanations, exports) stays with admin
and analyst users whose agreements cover linkage (``vru.linkage.access``)."""

from __future__ import annotations

from typing import Any

from vru.web.exit import Exit


def available(ws) -> bool:
    try:
        return ws.scalar("SELECT count(*) FROM match_features") is not None
    except Exception:  # noqa: BLE001 - a workspace from before linkage existed
        return False


def linkage_quality(ws, ex: Exit) -> dict[str, Any]:
    from vru.linkage.access import reasons
    from vru.linkage.service import status
    from vru.privacy.access import Actor

    if not available(ws):
        return {"available": False}
    st = status(ws)
    for s in st["sources"]:
        for k in ("records", "with_features", "linked", "unlinked", "alone"):
            s[k] = ex.count(s[k])
    st["records"] = ex.count(st["records"])
    st["pending_records"] = ex.count(st["pending_records"])
    for c in st["cluster_sizes"]:
        c["persons"] = ex.count(c["persons"])
    for h in st["match_weight_histogram"]:
        h["pairs"] = ex.count(h["pairs"])
    if st["last_run"]:
        for k in ("records", "new_records", "persons", "pairs"):
            st["last_run"][k] = ex.count(st["last_run"][k])
        st["last_run"].pop("changes", None) if not ex.exact else None
    numeric = [h["pairs"] for h in st["match_weight_histogram"] if isinstance(h["pairs"], int)]
    top = max(numeric, default=0) or 1
    for h in st["match_weight_histogram"]:
        h["pct"] = round(100 * h["pairs"] / top) if isinstance(h["pairs"], int) else 0
    st["available"] = True
    st["person_level"] = not reasons(ws, Actor.of(ex.user), "linkage.explain")
    return st

"""The code list: every coded field the partner contracts accept has a human label for every
code, so published text never needs to print a raw code."""

from __future__ import annotations

import importlib
import pkgutil

from vru.reports.labels import CODE_LISTS, label
from vru.sources.contract.model import Column

# Coded fields whose codes are already what a reader sees (numbers and bands).
READABLE = {"year_group", "age_band"}


def _coded_columns() -> dict[str, set[str]]:
    import vru.sources as sources

    found: dict[str, set[str]] = {}
    for m in pkgutil.iter_modules(sources.__path__):
        mod = importlib.import_module(f"vru.sources.{m.name}")
        for v in vars(mod).values():
            if isinstance(v, tuple) and v and all(isinstance(c, Column) for c in v):
                for c in v:
                    if c.type == "code" and c.codes:
                        found.setdefault(c.name, set()).update(c.codes)
    return found


def test_every_contract_code_has_a_label():
    coded = _coded_columns()
    assert {"location_type", "assault_method", "sex", "exclusion_type"} <= set(coded)
    for field, codes in coded.items():
        if field in READABLE:
            continue
        assert field in CODE_LISTS, field
        missing = sorted(set(codes) - set(CODE_LISTS[field]))
        assert not missing, (field, missing)
        for c in codes:
            text = label(c, field)
            assert text != c and "_" not in text, (field, c, text)


def test_unknown_codes_never_print_raw():
    assert label("PUB_CLUB", "location_type") == "Pub, bar or nightclub"
    assert label("NEW_PLACE") == "New place"
    assert label(None) == "Not recorded"

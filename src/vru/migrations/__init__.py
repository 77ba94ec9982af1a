"""Versioned schema migrations.

Each module ``mNNNN_<name>.py`` defines ``up(con)``; they are applied in name order, once, inside
the opening transaction, and recorded in ``schema_migrations``. Number ranges by capability keep
parallel work apart: 0001-0099 core and police.uk (0010-0019 the canonical crime view),
0100-0199 data hub, 0200-0299 hotspots, 0300-0399 profiles (0310-0319 the Strategic Needs
Assessment), 0400-0499 web/users/audit, 0500-0599 synthetic world, 0700-0719 programme and
funding ledger, 0800-0819 GPS tagging.
Never edit a migration that has shipped; add a new one.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType


def all_migrations() -> list[tuple[str, Callable]]:
    names = sorted(
        m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("m") and m.name[1:5].isdigit()
    )
    found: list[tuple[str, Callable]] = []
    for name in names:
        module: ModuleType = importlib.import_module(f"{__name__}.{name}")
        found.append((name, module.up))
    return found

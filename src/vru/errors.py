"""The one base class for vru's errors.

Every error a user can cause (a refused import, a missing agreement, an unknown area, a bad
harm table...) derives from ``VruError``. The CLI catches ``VruError`` once (``vru.cli``): it
prints the message and exits with ``exit_code``, never a traceback. Classes that were
``ValueError``s stay ``ValueError``s too, so existing ``except ValueError`` keeps working.
"""

from __future__ import annotations


class VruError(Exception):
    """A problem the user can act on; its message says what and where."""

    exit_code: int = 2

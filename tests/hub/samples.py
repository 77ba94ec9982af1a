"""Moved to ``vru.testing.partner_files`` (the public testing module); kept as an alias."""

from vru.testing.partner_files import *  # noqa: F403
from vru.testing.partner_files import (  # noqa: F401
    NAME,
    NHS,
    NHS_BAD_CHECK,
    PNC,
    PNC_SAME_AS_FIRST,
    SAMPLES,
    UPN,
    write_csv,
    write_xlsx,
)

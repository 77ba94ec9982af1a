"""Moved to ``vru.testing.toy`` (the public testing module); kept as an alias."""

from vru.testing.toy import *  # noqa: F403
from vru.testing.toy import LAD_POP_2023, LADS, MONTHS, SV_CATS, Truth, build, type_counts  # noqa: F401

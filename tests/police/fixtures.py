"""Moved to ``vru.testing.police_files`` (the public testing module); kept as an alias."""

from vru.testing.police_files import *  # noqa: F403
from vru.testing.police_files import __all__  # noqa: F401

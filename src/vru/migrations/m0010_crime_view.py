"""The canonical crime view: precedence rules, the serious-violence definition, coverage.

Tables ``crime_source_rules`` and ``crime_definition`` (written from the settings on every
writable open, see ``vru.crime_view.sync``) and the views ``crime_source_months``,
``crime_served``, ``canonical_crimes`` and ``crime_coverage``.
"""

from vru import crime_view


def up(con) -> None:
    crime_view.create(con)

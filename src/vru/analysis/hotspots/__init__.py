"""Hotspot policing: units, harm, concentration, Gi*, KDE, emerging hot spots, near repeats,
forecasts, backtests, patrol plans and dosage.

Every module here is pure (arrays/DataFrames in and out). ``workspace_events`` is the thin layer
that pulls event tables from a Workspace with SQL.
"""

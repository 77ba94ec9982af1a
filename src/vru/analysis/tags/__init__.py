"""GPS tagging (electronic monitoring): trail-to-crime correlation, zone breaches, episodes.

Pure parts: ``clock`` (UK local time -> UTC from zoneinfo), ``sql`` (the bucketed matching and
breach queries, as text), ``schedule`` (when a zone applies) and ``evaluate`` (precision and
recall against a ground truth). ``store`` is the thin layer that runs them through the
Workspace and keeps results, alerts and runs.
"""

"""The live workspace: while `vru serve` runs it is the one owner of the DuckDB file.

- ``handle``: the server's handle file (``<workspace>/server.json``, mode 0600) holding its pid,
  address and a random token; how any other process finds (and proves it may use) the server.
- ``jobs``: the server's job runner: write jobs run one at a time on one worker thread through
  the Workspace's single writer, read jobs on a small pool, both off the request path; each job
  keeps its progress and output for whoever follows it (a terminal or a web page).

The CLI side (hand a command over, stream its output back) is ``vru.cli.handover``.
"""

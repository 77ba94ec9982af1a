"""vru.testing: the public toolkit for tests of vru and of code built on it.

Built on the synthetic world (``vru.synth``) and on vru's own importers, so test data goes in the
way users' data does:

- ``workspaces.new_workspace(path)``: a fresh, migrated workspace (schema built once per process);
- ``police_files``: data.police.uk rows and files (street, outcomes, stop and search), and street
  files of synthetic violence with planted hot spots (known truth);
- ``partner_files``: good sample rows for every data-hub contract, CSV/XLSX writers;
- ``crimes``: ``insert_crimes`` (the one place tests write ``crimes`` rows without an importer)
  and ``fill_crimes`` (two areas with a planted violent hot spot, for the web tests);
- ``toy``: a small, fully known force area (three local authorities, partners) with its truth;
- ``leaks``: planted-identifier searches (``needles``, ``find``): no raw identifier on disk.

The synthetic world itself is ``vru.synth.generate``; the demo workspace built from it
(``vru.synth.demo``) is shared by the test suite through one session fixture
(``tests/conftest.py``: ``demo_run``), as are the other expensive builds.
"""

from vru.testing.workspaces import new_workspace

__all__ = ["new_workspace"]

"""Fresh workspaces for tests, fast: the schema is built once per process and copied.

``Workspace.init`` runs every migration (about half a second, more as the schema grows); a test
suite makes hundreds of workspaces. ``new_workspace`` migrates one template per process and
copies its DuckDB file, then opens the copy through ``Workspace.init`` as usual (settings written,
folders made, migrations checked: nothing left to apply). The result is the same workspace.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from vru.settings import Settings
from vru.workspace import DB_NAME, Workspace

_template: Path | None = None


def _template_db() -> Path:
    global _template
    if _template is None or not (_template / DB_NAME).exists():
        root = Path(tempfile.mkdtemp(prefix="vru-template-"))
        atexit.register(shutil.rmtree, root, True)
        Workspace.init(root / "ws").close()
        _template = root / "ws"
    return _template / DB_NAME


def new_workspace(path: Path | str, area_name: str | None = None,
                  settings: Settings | None = None) -> Workspace:
    """A new, empty, fully migrated workspace at ``path`` (which must not hold one yet)."""
    path = Path(path)
    if (path / DB_NAME).exists():
        raise FileExistsError(f"{path} already holds a workspace")
    path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_template_db(), path / DB_NAME)
    return Workspace.init(path, area_name=area_name, settings=settings)

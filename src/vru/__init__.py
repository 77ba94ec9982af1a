"""vru: the data and analytics workbench for Violence Reduction Units."""

from vru.settings import Settings
from vru.workspace import Workspace, WorkspaceError

__version__ = "0.1.0"
__all__ = ["Settings", "Workspace", "WorkspaceError", "__version__"]

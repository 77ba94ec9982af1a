"""The partnership's look for published documents: logo, colours and fonts from the workspace
settings (``[report]`` in settings.toml), read once when a document is built and carried in its
``meta["brand"]``, so the HTML, PDF and DOCX renderers do no file IO of their own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vru.settings import Report

MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Brand:
    colour: str = Report.colour
    accent: str = Report.accent_colour
    font: str = Report.font
    organisation: str = ""
    logo: bytes | None = None
    logo_mime: str = ""

    @property
    def first_font(self) -> str:
        """The first family of the CSS font list (what DOCX can name)."""
        return re.split(r",", self.font)[0].strip().strip("\"'")

    def rgb(self, which: str = "colour") -> tuple[int, int, int]:
        h = getattr(self, which)
        return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


DEFAULT = Brand()


def brand_from_settings(report: Report, workspace_dir: Path) -> Brand:
    """The brand of a workspace; a logo that is missing or unreadable is an error naming it."""
    logo, mime = None, ""
    if report.logo:
        path = Path(report.logo)
        path = path if path.is_absolute() else Path(workspace_dir) / path
        try:
            logo = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"report.logo: cannot read {path}: {exc.strerror}") from exc
        mime = MIME[path.suffix.lower()]
    return Brand(colour=report.colour.lower(), accent=report.accent_colour.lower(),
                 font=report.font, organisation=report.organisation, logo=logo, logo_mime=mime)


def brand_of(doc) -> Brand:
    return doc.meta.get("brand") or DEFAULT

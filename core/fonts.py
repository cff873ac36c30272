"""The DejaVu fonts the printed documents use (slips, guidance letters, report PDFs): Vietnamese needs a Unicode
TrueType font, and Debian's fonts-dejavu-core has one."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_PACKAGE = "fonts-dejavu-core"
FAMILY = "DejaVu"
REQUIRED_FACES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
OPTIONAL_FACES = {"I": "DejaVuSans-Oblique.ttf", "BI": "DejaVuSans-BoldOblique.ttf"}  # fonts-dejavu-extra


def font_files(font_dir: Path = FONT_DIR) -> dict[str, Path]:
    """Style -> font file; a missing required face is a setup error, not something to print around. A missing
    italic face falls back to the upright one of the same weight (upright text beats no text)."""
    files: dict[str, Path] = {}
    for style, name in REQUIRED_FACES.items():
        path = font_dir / name
        if not path.is_file():
            raise RuntimeError(f"font {path} is missing: install the Debian package {FONT_PACKAGE} "
                               f"(apt-get install {FONT_PACKAGE}, or `make setup`)")
        files[style] = path
    for style, name in OPTIONAL_FACES.items():
        path = font_dir / name
        files[style] = path if path.is_file() else files[style.replace("I", "")]
    return files

"""The shared development set (../shared/eval/letters_dev.jsonl), as text and as OCR'd damaged scans."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from tests.scans import damage, render_letter

DEV_PATH = Path(__file__).resolve().parents[2] / "shared" / "eval" / "letters_dev.jsonl"
FONTS = ("DejaVuSans", "DejaVuSerif", "LiberationSerif", "LiberationSans")


def load_dev() -> list[dict]:
    with DEV_PATH.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def damaged_scan_pdf(text: str, seed: int) -> bytes:
    """The letter printed in one of four fonts and scanned carelessly: skewed, noisy, JPEG-compressed."""
    pages = render_letter(text, dpi=300, font=FONTS[seed % len(FONTS)], seed=seed)
    scanned = [damage(p, skew=(-3.0 if (seed + i) % 2 else 2.5), noise=0.03, jpeg_quality=70, seed=seed + i)
               for i, p in enumerate(pages)]
    buf = io.BytesIO()
    scanned[0].save(buf, format="PDF", save_all=True, append_images=scanned[1:], resolution=300.0)
    return buf.getvalue()


def ocr_dev_set(folder: Path) -> list[dict]:
    """Every dev letter rendered as a damaged scan and read back through ``donthu ocr``."""
    from web.cli import main as cli

    out = []
    for n, record in enumerate(load_dev()):
        path = folder / f"{record['id']}.pdf"
        path.write_bytes(damaged_scan_pdf(record["text"], seed=n))
        result = CliRunner().invoke(cli, ["ocr", str(path), "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        out.append({**record, "text": json.loads(result.output)["text"], "clean_text": record["text"]})
    return out

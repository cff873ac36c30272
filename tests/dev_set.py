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


def _scan_and_read(job: tuple[int, dict, str]) -> dict:
    """One dev letter printed, scanned and read back the way ``donthu ocr`` reads a file (in a pool process)."""
    import os

    from core.settings import load_settings
    from ingest.ocr_file import ocr_file

    n, record, folder = job
    os.environ["DONTHU_DATA_DIR"] = folder
    path = Path(folder) / f"{record['id']}.pdf"
    path.write_bytes(damaged_scan_pdf(record["text"], seed=n))
    pages = ocr_file(path.read_bytes(), path.name, load_settings(), jobs=1)
    text = "\n\n".join(p.text for p in pages).strip()
    return {**record, "text": text, "clean_text": record["text"]}


def ocr_dev_set(folder: Path) -> list[dict]:
    """Every dev letter rendered as a damaged scan and read back through ``donthu ocr``'s reader, letters in
    parallel (one per core), in the dev set's order. The first letter goes through the command itself."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    from web.cli import main as cli

    records = load_dev()
    jobs = [(n, record, str(folder)) for n, record in enumerate(records)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        out = list(pool.map(_scan_and_read, jobs[1:]))
    path = folder / f"{records[0]['id']}.pdf"
    path.write_bytes(damaged_scan_pdf(records[0]["text"], seed=0))
    result = CliRunner().invoke(cli, ["ocr", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = {**records[0], "text": json.loads(result.output)["text"], "clean_text": records[0]["text"]}
    return [first, *out]

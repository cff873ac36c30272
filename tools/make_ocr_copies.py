"""Make the corpus's OCR-damaged copies: letters printed in varied fonts, scanned carelessly (skew, noise, blur,
JPEG, low dpi, now and then upside down or sideways) and read back by Donthu's own OCR.

Run once from the repository root: ``.venv/bin/python tools/make_ocr_copies.py`` → classify/data/corpus/X_ocr.jsonl.
Deterministic for a given Tesseract; the file is committed, so training never needs Tesseract.
"""

from __future__ import annotations

import io
import json
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classify.corpus import CORPUS_DIR, load  # noqa: E402
from core.settings import load_settings  # noqa: E402
from ingest.ocr_file import ocr_file  # noqa: E402
from tests.scans import damage, render_letter  # noqa: E402

OUTPUT = CORPUS_DIR / "X_ocr.jsonl"
FONTS = ("DejaVuSans", "DejaVuSerif", "LiberationSerif", "LiberationSans")
KEEP = ("type", "agency", "agency_alt", "field", "sender", "sender_address", "accused", "signers", "anonymous",
        "collective", "sent_to_many", "mixed", "phones", "citizen_ids", "decision_numbers", "letter_date", "tricky")


def scan(record: dict, n: int) -> bytes:
    rng = random.Random(n)
    dpi = rng.choice((200, 250, 300, 300))
    pages = render_letter(record["text"], dpi=300, font=FONTS[n % len(FONTS)], size_pt=rng.choice((11, 12, 13)), seed=n)
    damaged = [damage(p, rotate=rng.choice((0, 0, 0, 0, 0, 0, 90, 180)), skew=rng.uniform(-6, 6),
                      noise=rng.uniform(0, 0.05), blur=rng.choice((0, 0, 0.6)), jpeg_quality=rng.choice((None, 60, 80)),
                      dpi=dpi, seed=n * 10 + i) for i, p in enumerate(pages)]
    buf = io.BytesIO()
    damaged[0].save(buf, format="PDF", save_all=True, append_images=damaged[1:], resolution=float(dpi))
    return buf.getvalue()


def copy(args: tuple[int, dict]) -> dict:
    n, record = args
    pages = ocr_file(scan(record, n), "scan.pdf", load_settings(), jobs=1)
    text = "\n\n".join(p.text for p in pages).strip()
    return {"id": f"X{n:03d}", "text": text, "ocr_of": record["id"], "dup_of": None,
            **{k: record[k] for k in KEEP},
            "notes": f"OCR of a damaged scan of {record['id']} ({len(pages)} pages); labels copied from it"}


def main() -> None:
    originals = [r for r in load() if not r.get("dup_of") and not r.get("ocr_of")]
    chosen = [r for r in originals if int(r["id"][1:]) % 6 == 1]  # ~105 letters across every batch and both splits
    with ProcessPoolExecutor(max_workers=2) as pool:
        copies = list(pool.map(copy, enumerate(chosen, start=1)))
    with OUTPUT.open("w", encoding="utf-8") as fh:
        for record in copies:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(copies)} OCR'd copies to {OUTPUT}")


if __name__ == "__main__":
    main()

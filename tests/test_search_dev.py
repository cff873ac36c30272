"""Acceptance on the shared development set: repeat detection (text and OCR'd damaged scans) against the
paperless-ngx near-duplicate rule, and every sender's name typed without diacritics.

Run with ``-s`` to see the figures.
"""

from __future__ import annotations

from itertools import combinations

import pytest
from rapidfuzz import fuzz

from core.vntext import fold
from ingest.dispatch import dispatch_new_letter
from ingest.intake import register_file
from ingest.services import Services
from models import Letter
from search.base import SearchQuery
from tests.dev_set import load_dev

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ocr_dev_set")]  # one worker OCRs the dev set once


def _ingest_in_order(svc: Services, records: list[dict]) -> dict[str, int]:
    """Register the letters in the dev set's order (a re-send always after its original) through the pipeline."""
    ids: dict[str, int] = {}
    for record in records:
        result = register_file(svc, record["text"].encode(), f"{record['id']}.txt")
        dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
        ids[record["id"]] = result.letter_id
    return ids


def _precision_recall(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float]:
    hits = len(predicted & truth)
    return hits / max(1, len(predicted)), hits / max(1, len(truth))


def _truth(records: list[dict]) -> set[tuple[str, str]]:
    return {(r["id"], r["dup_of"]) for r in records if r.get("dup_of")}


def _our_repeats(svc: Services, ids: dict[str, int]) -> set[tuple[str, str]]:
    by_letter = {v: k for k, v in ids.items()}
    pairs: set[tuple[str, str]] = set()
    with svc.db.read() as session:
        for record_id, letter_id in ids.items():
            letter = session.get(Letter, letter_id)
            assert letter.stages_done, letter.stages
            pairs |= {(record_id, by_letter[c["letter_id"]]) for c in letter.duplicates if c["kind"] == "repeat"}
    return pairs


def paperless_repeats(records: list[dict]) -> set[tuple[str, str]]:
    """paperless-ngx's near-duplicate rule: rapidfuzz ratio ≥ 85 between the lower-cased contents, over all pairs."""
    pairs = set()
    for earlier, later in combinations(records, 2):
        if fuzz.ratio(earlier["text"].lower().strip(), later["text"].lower().strip()) >= 85:
            pairs.add((later["id"], earlier["id"]))
    return pairs


def _check_repeats(svc: Services, records: list[dict], label: str) -> None:
    ids = _ingest_in_order(svc, records)
    truth = _truth(records)
    ours = _precision_recall(_our_repeats(svc, ids), truth)
    baseline = _precision_recall(paperless_repeats(records), truth)
    print(f"\n[{label}] repeat detection over {len(truth)} re-sends: ours precision {ours[0]:.3f} recall "
          f"{ours[1]:.3f}; paperless-ngx (ratio ≥ 85) precision {baseline[0]:.3f} recall {baseline[1]:.3f}")
    assert ours[0] >= 0.95 and ours[1] >= 0.95, (ours, sorted(_our_repeats(svc, ids) ^ truth))


def test_repeats_in_the_dev_set_are_found_as_text(svc: Services) -> None:
    _check_repeats(svc, load_dev(), "text")


def test_repeats_in_the_dev_set_are_found_in_ocr_read_scans(svc: Services, ocr_dev_letters: list[dict]) -> None:
    labels = {r["id"]: r for r in load_dev()}
    records = [{**labels[r["id"]], "text": r["text"]} for r in ocr_dev_letters]
    _check_repeats(svc, records, "OCR'd damaged scans")


def test_every_sender_typed_without_diacritics_finds_the_letter_in_the_top_3(svc: Services) -> None:
    records = load_dev()
    ids = _ingest_in_order(svc, records)
    missed = []
    for record in records:
        if not record["sender"]:
            continue
        typed = fold(record["sender"], lower=False)
        top = [h.letter_id for h in svc.search.query(SearchQuery(text=typed, limit=3)).hits]
        if ids[record["id"]] not in top:
            missed.append((record["id"], typed, top))
    print(f"\nsenders typed without diacritics: {sum(1 for r in records if r['sender']) - len(missed)} found in the "
          f"top 3 of {sum(1 for r in records if r['sender'])}")
    assert not missed

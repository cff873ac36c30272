"""Fit the weights of ``classify.matter.matter_probability`` on the shipped corpus, and score the shipped ones.

Pairs: every re-send with the letter it re-sends (positive); every two letters of one sender about different
matters, and each letter's 12 nearest bodies by cosine that are not its matter (negative). OCR'd copies are left
out (they are copies, not re-sends). Run from the repository root: ``.venv/bin/python tools/fit_matter_weights.py``.
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GroupKFold, cross_val_predict  # noqa: E402

from classify import matter  # noqa: E402
from classify.corpus import load  # noqa: E402
from classify.extract import extract  # noqa: E402


def pairs() -> tuple[list[dict], list[int], list[str]]:
    records = [r for r in load() if not r.get("ocr_of")]
    by_id = {r["id"]: r for r in records}

    def root(i: str) -> str:
        while by_id[i].get("dup_of"):
            i = by_id[i]["dup_of"]
        return i

    facts, vectors = {}, {}
    for r in records:
        ex = extract(r["text"])
        facts[r["id"]] = matter.matter_facts(r["text"], ex)
        vectors[r["id"]] = matter.term_vector(r["text"], ex.sender)
    chosen: set[tuple[str, str]] = set()
    ids = list(by_id)
    for a in ids:
        sims = sorted(((matter.cosine(vectors[a], vectors[b]), b) for b in ids if b != a), reverse=True)
        chosen.update(tuple(sorted((a, b))) for _, b in sims[:12])
    by_sender: dict[str, list[str]] = {}
    for r in records:
        if facts[r["id"]]["sender"]:
            by_sender.setdefault(facts[r["id"]]["sender"], []).append(r["id"])
    for group in by_sender.values():
        chosen.update(tuple(sorted(p)) for p in combinations(group, 2))
    chosen.update(tuple(sorted((r["id"], r["dup_of"]))) for r in records if r.get("dup_of"))
    rows, labels, groups = [], [], []
    for a, b in sorted(chosen):
        new, old = (a, b) if a > b else (b, a)
        ev = matter.compare(facts[new], facts[old], matter.cosine(vectors[new], vectors[old]))
        rows.append({"pair": (new, old), "evidence": ev})
        labels.append(int(root(new) == root(old)))
        groups.append(root(old))
    return rows, labels, groups


def main() -> int:
    rows, labels, groups = pairs()
    names = list(matter._WEIGHTS)
    x = np.array([[r["evidence"].features()[k] for k in names] for r in rows])
    y = np.array(labels)
    if "--same-person" in sys.argv:  # fit on the pairs whose sender is one person: the repeat decision
        keep = np.array([bool(r["evidence"].same_person) for r in rows])
        rows = [r for r, k in zip(rows, keep, strict=True) if k]
        x, y, groups = x[keep], y[keep], [g for g, k in zip(groups, keep, strict=True) if k]
    model = LogisticRegression(C=3.0, max_iter=2000, class_weight={0: 1, 1: 3})
    cv = cross_val_predict(model, x, y, cv=GroupKFold(5), groups=groups, method="predict_proba")[:, 1]
    model.fit(x, y)
    print("fitted: bias", round(float(model.intercept_[0]), 2))
    for k, w in zip(names, model.coef_[0], strict=True):
        print(f"  {k}: {w:.2f}")
    for label, probs in (("cross-validated fit", cv), ("shipped weights", None)):
        if probs is None:
            probs = np.array([matter.matter_probability(r["evidence"]) for r in rows])
        person = np.array([bool(r["evidence"].same_person) for r in rows])
        predicted = (probs >= matter.SAME_MATTER) & person
        truth = (y == 1) & person
        tp = int((predicted & truth).sum())
        precision = tp / max(1, predicted.sum())
        recall = tp / max(1, truth.sum())
        print(f"{label}: repeat precision {precision:.3f} recall {recall:.3f} over {len(rows)} pairs")
        if probs is not None and label == "shipped weights":
            for r, p, t, pr in zip(rows, probs, truth, predicted, strict=True):
                if t != pr:
                    print("   ", "missed" if t else "false", r["pair"], round(float(p), 3), r["evidence"].features())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Scores of a classifier on labelled letters, and the paperless-ngx recipe as a baseline in the same run."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.neural_network import MLPClassifier

from classify.extract import extract
from classify.model import FIELDS, TYPES
from core.vntext import name_key, normalize


def _per_class(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {label: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
                    "support": int(n[i])} for i, label in enumerate(labels)}


def _label_scores(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    return {
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "per_class": _per_class(y_true, y_pred, labels),
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }


def _agency_scores(records: list[dict], ranked: list[list[str]]) -> dict:
    truth = [r["agency"] for r in records]
    top1 = [rk[0] for rk in ranked]
    with_alt = [rk[0] == r["agency"] or rk[0] in (r.get("agency_alt") or []) for r, rk in zip(records, ranked,
                                                                                             strict=True)]
    labels = sorted(set(truth) | set(top1))
    return {
        "top1": round(float(np.mean([a == b for a, b in zip(truth, top1, strict=True)])), 4),
        "top3": round(float(np.mean([r["agency"] in rk[:3] for r, rk in zip(records, ranked, strict=True)])), 4),
        "top1_with_alternatives": round(float(np.mean(with_alt)), 4),
        "per_class": _per_class(truth, top1, labels),
    }


def score_predictions(records: list[dict], predictions: list[dict]) -> dict:
    """Scores in the ``donthu evaluate --json`` shape for predictions in the ``donthu classify`` shape."""
    return {
        "n": len(records),
        "type": _label_scores([r["type"] for r in records], [p["type"]["label"] for p in predictions], list(TYPES)),
        "field": _label_scores([r["field"] for r in records], [p["field"]["label"] for p in predictions],
                               list(FIELDS)),
        "agency": _agency_scores(records, [[a["label"] for a in p["agency"]["ranked"]] for p in predictions]),
    }


def score_model(model, records: list[dict]) -> dict:  # noqa: ANN001 - LetterClassifier
    return score_predictions(records, model.predict_many([r["text"] for r in records]))


def composite(scores: dict) -> float:
    """One number to compare models: the mean of type macro-F1, agency top-1 and field macro-F1."""
    return (scores["type"]["macro_f1"] + scores["agency"]["top1"] + scores["field"]["macro_f1"]) / 3


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def score_extraction(records: list[dict]) -> dict:
    """Precision/recall per extracted fact, over the records that carry that fact's label."""
    counts: dict[str, Counter] = {}

    def add(fact: str, truth: set, found: set) -> None:
        c = counts.setdefault(fact, Counter())
        c["tp"] += len(truth & found)
        c["fp"] += len(found - truth)
        c["fn"] += len(truth - found)

    sender_hits = sender_total = 0
    for r in records:
        facts = extract(r["text"])
        if "sender" in r:
            sender_total += 1
            expected = name_key(r["sender"]) if r["sender"] else None
            got = name_key(facts.sender) if facts.sender else None
            sender_hits += expected == got
            add("sender", {expected} - {None}, {got} - {None})
        if "anonymous" in r:
            add("anonymous", {True} if r["anonymous"] else set(), {True} if facts.anonymous else set())
        if "signers" in r:
            add("collective", {True} if r["signers"] >= 5 else set(), {True} if facts.signers >= 5 else set())
        if "sent_to_many" in r:
            add("sent_to_many", {True} if r["sent_to_many"] else set(), {True} if facts.sent_to_many else set())
        if "accused" in r:
            truth = {name_key(a["name"] if isinstance(a, dict) else a) for a in r["accused"]}
            add("accused", truth, {name_key(a["name"]) for a in facts.accused})
        for fact in ("phones", "citizen_ids", "decision_numbers"):
            if fact in r:
                add(fact, {normalize(v) for v in r[fact]}, {normalize(v) for v in getattr(facts, fact)})
        if "letter_date" in r and r["letter_date"]:
            add("letter_date", {r["letter_date"]}, {facts.letter_date} - {None})
    out = {fact: _prf(c["tp"], c["fp"], c["fn"]) for fact, c in counts.items()}
    if sender_total:
        out["sender"]["exact_match"] = round(sender_hits / sender_total, 4)
    return out


class PaperlessBaseline:
    """The recipe paperless-ngx ships for its document classifier: word 1–2-gram counts (min_df 0.01) and a
    multi-layer perceptron, one per label; trained and scored on the same data as our model."""

    def __init__(self, seed: int = 42) -> None:
        self.seed = seed
        self.models: dict[str, tuple[CountVectorizer, MLPClassifier]] = {}

    def fit(self, records: list[dict]) -> PaperlessBaseline:
        texts = [r["text"].lower() for r in records]
        for head in ("type", "agency", "field"):
            vec = CountVectorizer(analyzer="word", ngram_range=(1, 2), min_df=0.01)
            x = vec.fit_transform(texts)
            clf = MLPClassifier(tol=0.01, random_state=self.seed).fit(x, [r[head] for r in records])
            self.models[head] = (vec, clf)
        return self

    def predict_many(self, texts: list[str]) -> list[dict]:
        lowered = [t.lower() for t in texts]
        out: list[dict] = [{} for _ in texts]
        for head, (vec, clf) in self.models.items():
            proba = clf.predict_proba(vec.transform(lowered))
            for i, row in enumerate(proba):
                order = np.argsort(-row)
                out[i][head] = {"label": str(clf.classes_[order[0]]), "confidence": float(row[order[0]]),
                                "ranked": [{"label": str(clf.classes_[j]), "score": float(row[j])} for j in order]}
        return out

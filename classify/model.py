"""The letter classifier: type (4 classes), handler agency (ranked over the catalog), subject field (7) and the
"mixed content" flag, on one shared feature space, with calibrated probabilities and an explanation of each
decision (the phrases and legal cues that weighed most)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from classify.extract import extract
from classify.features import make_vectorizer, prepare

TYPES = ("khieu_nai", "to_cao", "kien_nghi", "phan_anh")
FIELDS = ("dat_dai", "chinh_sach", "tu_phap", "dang_doan_the", "tham_nhung", "cong_vu", "khac")
HEADS = ("type", "agency", "field")


@dataclass
class Thresholds:
    """Under these confidences a letter is marked ``needs_review``."""

    type: float = 0.6
    agency: float = 0.35


def _calibrated(c: float, n_classes_min: int) -> CalibratedClassifierCV:
    """A linear SVM (best on the held-out split among LR/SVM variants, and 10x faster to train) with
    probabilities calibrated by sigmoid on cross-validated predictions. ensemble=False keeps one SVM fit on
    all data, whose coefficients explain each decision."""
    folds = max(2, min(5, n_classes_min))
    return CalibratedClassifierCV(LinearSVC(C=c, class_weight="balanced"), method="sigmoid", cv=folds,
                                  ensemble=False)


@dataclass
class LetterClassifier:
    version: str = "untrained"
    thresholds: Thresholds = field(default_factory=Thresholds)
    vectorizer: Any = None
    heads: dict[str, Any] = field(default_factory=dict)
    mixed: Any = None
    trained_on: int = 0

    def fit(self, records: list[dict], weights: list[float] | None = None) -> LetterClassifier:
        """Train every head on ``records`` (dicts with text, type, agency, field, mixed)."""
        texts = [prepare(r["text"]) for r in records]
        w = np.asarray(weights if weights is not None else [1.0] * len(records))
        self.vectorizer = make_vectorizer()
        x = self.vectorizer.fit_transform(texts)
        for head, c in (("type", 1.0), ("agency", 1.0), ("field", 1.0)):
            y = np.asarray([r[head] for r in records])
            smallest = int(min(np.unique(y, return_counts=True)[1]))
            model = _calibrated(c, smallest)
            model.fit(x, y, sample_weight=w)
            self.heads[head] = model
        mixed = np.asarray([bool(r.get("mixed")) for r in records])
        self.mixed = (LogisticRegression(C=5.0, max_iter=4000, class_weight="balanced").fit(x, mixed, sample_weight=w)
                      if mixed.any() and not mixed.all() else None)
        self.trained_on = len(records)
        return self

    # -- prediction ---------------------------------------------------------------------------------------

    def _explain(self, head: str, x, label: str, limit: int = 6) -> list[str]:  # noqa: ANN001
        """The readable features (word n-grams, legal cues) that pushed ``label`` most in this letter."""
        model = self.heads[head]
        base = model.calibrated_classifiers_[0].estimator
        classes = list(base.classes_)
        coef = base.coef_[classes.index(label)] if base.coef_.shape[0] > 1 else base.coef_[0] * (
            1 if classes.index(label) == 1 else -1)
        row = x.tocsr()
        contributions = row.multiply(coef).tocsr()
        names = self._feature_names()
        scored = sorted(zip(contributions.indices, contributions.data, strict=False), key=lambda t: -t[1])
        out: list[str] = []
        for idx, value in scored:
            if value <= 0 or len(out) >= limit:
                break
            name = str(names[idx])
            if name.startswith("c__"):
                continue  # character n-grams weigh, but say nothing to a reader
            if name.startswith("cue__"):
                out.append("dấu hiệu: " + name.removeprefix("cue__cue:"))
                continue
            phrase = name.removeprefix("w__")
            if " " not in phrase and len(phrase) <= 3:
                continue  # "ông", "v": true weights, empty words
            if any(phrase in chosen for chosen in out):
                continue  # already said by a longer phrase
            out.append(phrase)
        return out

    def _feature_names(self) -> np.ndarray:
        if not hasattr(self, "_names_cache") or self._names_cache is None:
            self._names_cache = self.vectorizer.get_feature_names_out()
        return self._names_cache

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_names_cache", None)
        return state

    def predict_many(self, texts: list[str]) -> list[dict]:
        prepared = [prepare(t) for t in texts]
        x = self.vectorizer.transform(prepared)
        probs = {head: self.heads[head].predict_proba(x) for head in HEADS}
        mixed_p = self.mixed.predict_proba(x)[:, 1] if self.mixed is not None else np.zeros(len(texts))
        results = []
        for i, text in enumerate(texts):
            results.append(self._one(text, x[i], {h: probs[h][i] for h in HEADS}, float(mixed_p[i])))
        return results

    def predict(self, text: str) -> dict:
        return self.predict_many([text])[0]

    def _one(self, text: str, x, probs: dict[str, np.ndarray], mixed_p: float) -> dict:  # noqa: ANN001
        def ranked(head: str) -> list[tuple[str, float]]:
            classes = self.heads[head].classes_
            order = np.argsort(-probs[head])
            return [(str(classes[j]), float(probs[head][j])) for j in order]

        type_rank, agency_rank, field_rank = ranked("type"), ranked("agency"), ranked("field")
        facts = extract(text)
        # mixed: the model's own flag, or two demands nearly tied
        mixed = mixed_p >= 0.5 or (len(type_rank) > 1 and type_rank[1][1] >= 0.6 * type_rank[0][1])
        flags = {"anonymous": facts.anonymous, "collective": facts.signers >= 5,
                 "sent_to_many": facts.sent_to_many, "mixed": bool(mixed)}
        type_label, type_conf = type_rank[0]
        agency_label, agency_conf = agency_rank[0]
        explanation = [f"loại đơn: {p}" for p in self._explain("type", x, type_label, 4)]
        explanation += [f"cơ quan: {p}" for p in self._explain("agency", x, agency_label, 3)]
        needs_review = (type_conf < self.thresholds.type or agency_conf < self.thresholds.agency
                        or flags["mixed"])
        return {
            "type": {"label": type_label, "confidence": round(type_conf, 4),
                     "scores": {label: round(p, 4) for label, p in type_rank}},
            "agency": {"label": agency_label, "confidence": round(agency_conf, 4),
                       "ranked": [{"label": label, "score": round(p, 4)} for label, p in agency_rank]},
            "field": {"label": field_rank[0][0], "confidence": round(field_rank[0][1], 4)},
            "flags": flags,
            "extracted": {
                "sender": facts.sender, "accused": facts.accused, "signers": facts.signers,
                "phones": facts.phones, "citizen_ids": facts.citizen_ids,
                "decision_numbers": facts.decision_numbers, "letter_date": facts.letter_date,
                "address": facts.address, "addressees": facts.addressees,
            },
            "needs_review": bool(needs_review),
            "model_version": self.version,
            "explanation": explanation,
        }

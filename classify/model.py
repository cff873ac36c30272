"""The letter classifier: type (4 classes), handler agency (ranked over the catalog), subject field (7) and the
"mixed content" flag, on one shared feature space, with calibrated probabilities and an explanation of each
decision (the phrases and legal cues that weighed most)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.svm import LinearSVC

from classify.extract import extract
from classify.features import body, make_vectorizer, prepare
from classify.routing import route

TYPES = ("khieu_nai", "to_cao", "kien_nghi", "phan_anh")
FIELDS = ("dat_dai", "chinh_sach", "tu_phap", "dang_doan_the", "tham_nhung", "cong_vu", "khac")
HEADS = ("type", "agency", "field")
RULE_BONUS = 0.5  # added to the probability of the agency a routing rule names, before renormalising


@dataclass(frozen=True)
class Thresholds:
    """Under these confidences a letter is marked ``needs_review``."""

    type: float = 0.6
    agency: float = 0.35


def _calibrated(estimator, n_classes_min: int) -> CalibratedClassifierCV:  # noqa: ANN001
    """Probabilities calibrated by sigmoid on cross-validated predictions. ensemble=False keeps one model fit
    on all data, whose coefficients explain each decision."""
    folds = max(2, min(5, n_classes_min))
    return CalibratedClassifierCV(estimator, method="sigmoid", cv=folds, ensemble=False)


def _svm() -> LinearSVC:
    # Best of LR/SVM/ridge/MLP variants in 5-fold cross-validation grouped by matter, and 10x faster than LR.
    return LinearSVC(C=1.0, class_weight="balanced", random_state=0)


# Members per head, their probabilities averaged. The field head adds a ridge classifier: +1 point of macro-F1
# in the grouped cross-validation, where it did nothing for type and agency.
HEAD_MEMBERS = {"type": (_svm,), "agency": (_svm,),
                "field": (_svm, lambda: RidgeClassifier(alpha=1.0, class_weight="balanced"))}


@dataclass
class LinearHead:
    """A fitted linear model with its sigmoid calibration, reduced to arrays: the same probabilities as
    scikit-learn's CalibratedClassifierCV.predict_proba without its per-call overhead (4 ms a letter)."""

    classes: np.ndarray
    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,)
    a: np.ndarray  # sigmoid calibration, per class
    b: np.ndarray

    @classmethod
    def from_calibrated(cls, model: CalibratedClassifierCV) -> LinearHead:
        calibrated = model.calibrated_classifiers_[0]
        estimator = calibrated.estimator
        if len(model.classes_) < 3 or list(estimator.classes_) != list(model.classes_):
            raise ValueError("LinearHead needs a multi-class model")
        return cls(classes=np.asarray(model.classes_), coef=np.asarray(estimator.coef_, dtype=np.float64),
                   intercept=np.asarray(estimator.intercept_, dtype=np.float64),
                   a=np.asarray([c.a_ for c in calibrated.calibrators], dtype=np.float64),
                   b=np.asarray([c.b_ for c in calibrated.calibrators], dtype=np.float64))

    def predict_proba(self, x) -> np.ndarray:  # noqa: ANN001 - sparse matrix
        scores = np.asarray(x @ self.coef.T) + self.intercept
        proba = expit(-(self.a * scores + self.b))
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1 / proba.shape[1])
        return np.divide(proba, total, out=uniform, where=total != 0)


@dataclass
class LetterClassifier:
    version: str = "untrained"
    thresholds: Thresholds = field(default_factory=Thresholds)
    vectorizer: Any = None
    heads: dict[str, Any] = field(default_factory=dict)
    mixed: Any = None
    trained_on: int = 0
    _names: Any = field(default=None, repr=False)  # feature names, looked up once per process for explanations

    def fit(self, records: list[dict], weights: list[float] | None = None) -> LetterClassifier:
        """Train every head on ``records`` (dicts with text, type, agency, field, mixed)."""
        texts = [prepare(r["text"]) for r in records]
        w = np.asarray(weights if weights is not None else [1.0] * len(records))
        self.vectorizer = make_vectorizer()
        x = self.vectorizer.fit_transform(texts)
        for head in HEADS:
            y = np.asarray([r[head] for r in records])
            smallest = int(min(np.unique(y, return_counts=True)[1]))
            self.heads[head] = [LinearHead.from_calibrated(_calibrated(make(), smallest).fit(x, y, sample_weight=w))
                                for make in HEAD_MEMBERS[head]]
        mixed = np.asarray([bool(r.get("mixed")) for r in records])
        self.mixed = (LogisticRegression(C=5.0, max_iter=4000, class_weight="balanced").fit(x, mixed, sample_weight=w)
                      if mixed.any() and not mixed.all() else None)
        self.trained_on = len(records)
        return self

    # -- prediction ---------------------------------------------------------------------------------------

    def _explain(self, head: str, x, label: str, limit: int = 6) -> list[str]:  # noqa: ANN001
        """The readable features (word n-grams, legal cues) that pushed ``label`` most in this letter."""
        head_model = self.heads[head][0]
        coef = head_model.coef[list(head_model.classes).index(label)]
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
            out = [chosen for chosen in out if chosen not in phrase]  # the longer phrase says it better
            out.append(phrase)
        return out

    def _feature_names(self) -> np.ndarray:
        if self._names is None:
            self._names = self.vectorizer.get_feature_names_out()
        return self._names

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_names": None}  # derived: not worth storing in the model file

    def predict_many(self, texts: list[str]) -> list[dict]:
        x = self._features([prepare(t) for t in texts])
        probs = {head: np.mean([m.predict_proba(x) for m in self.heads[head]], axis=0) for head in HEADS}
        mixed_p = self.mixed.predict_proba(x)[:, 1] if self.mixed is not None else np.zeros(len(texts))
        results = []
        for i, text in enumerate(texts):
            results.append(self._one(text, x[i], {h: probs[h][i] for h in HEADS}, float(mixed_p[i])))
        return results

    def _features(self, prepared: list[str]):  # noqa: ANN202
        """FeatureUnion.transform without its joblib dispatch, which costs more than the work for one letter."""
        weights = self.vectorizer.transformer_weights or {}
        blocks = [t.transform(prepared) * weights.get(name, 1.0) for name, t in self.vectorizer.transformer_list]
        return sparse.hstack(blocks).tocsr()

    def predict(self, text: str) -> dict:
        return self.predict_many([text])[0]

    def _one(self, text: str, x, probs: dict[str, np.ndarray], mixed_p: float) -> dict:  # noqa: ANN001
        def ranked(head: str) -> list[tuple[str, float]]:
            classes = self.heads[head][0].classes
            order = np.argsort(-probs[head])
            return [(str(classes[j]), float(probs[head][j])) for j in order]

        type_rank, agency_rank, field_rank = ranked("type"), ranked("agency"), ranked("field")
        rule = route(body(text), type_rank[0][0])
        if rule is not None:  # a legal routing rule decides: lift its agency, keep the rest of the ranking
            boosted = {label: p + (RULE_BONUS if label == rule[0] else 0.0) for label, p in agency_rank}
            total = sum(boosted.values())
            agency_rank = sorted(((label, p / total) for label, p in boosted.items()), key=lambda t: -t[1])
        facts = extract(text)
        # mixed: the model's own flag, or two demands nearly tied
        mixed = mixed_p >= 0.5 or (len(type_rank) > 1 and type_rank[1][1] >= 0.6 * type_rank[0][1])
        flags = {"anonymous": facts.anonymous, "collective": facts.signers >= 5,
                 "sent_to_many": facts.sent_to_many, "mixed": bool(mixed)}
        type_label, type_conf = type_rank[0]
        agency_label, agency_conf = agency_rank[0]
        explanation = [f"loại đơn: {p}" for p in self._explain("type", x, type_label, 4)]
        explanation += [f"cơ quan: {p}" for p in self._explain("agency", x, agency_label, 3)]
        if rule is not None:
            explanation.append(f"quy tắc: {rule[1]}")
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

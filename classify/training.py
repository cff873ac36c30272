"""Training: the shipped corpus plus the labels reviewers confirmed or corrected; a new model replaces the
current one only if it is not worse on the corpus's held-out split."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from classify.corpus import load, split, training_records
from classify.evaluate import composite, score_model
from classify.model import LetterClassifier
from classify.store import ModelStore, new_version
from models import Letter, LetterLabel

REVIEWED_WEIGHT = 5.0  # the office's own decisions count more than the written corpus


@dataclass
class TrainResult:
    version: str
    accepted: bool
    seconds: float
    trained_on: int
    reviewed: int
    heldout: dict
    previous: str | None
    previous_heldout: dict | None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def reviewed_examples(session: Session) -> list[dict]:
    """The latest reviewer labels of every letter that has text."""
    latest: dict[int, LetterLabel] = {}
    for label in session.scalars(select(LetterLabel).order_by(LetterLabel.id)):
        latest[label.letter_id] = label
    if not latest:
        return []
    texts = dict(session.execute(select(Letter.id, Letter.full_text).where(Letter.id.in_(latest))).all())
    return [{"text": texts[i], "type": lab.type, "agency": lab.agency, "field": lab.field,
             "mixed": bool((lab.flags or {}).get("mixed")), "letter_id": i}
            for i, lab in latest.items() if texts.get(i)]


def train(store: ModelStore, reviewed: list[dict], *, tolerance: float = 0.01, force: bool = False) -> TrainResult:
    """Train on the corpus's training split plus ``reviewed``; make it current unless it is worse."""
    started = time.perf_counter()
    corpus = load()
    corpus_train, heldout = training_records(corpus), split(corpus)[1]
    records = corpus_train + reviewed
    weights = [1.0] * len(corpus_train) + [REVIEWED_WEIGHT] * len(reviewed)
    model = LetterClassifier(version=new_version()).fit(records, weights)
    scores = score_model(model, heldout)
    previous = store.current_version()
    previous_scores = store.metadata(previous).get("heldout") if previous else None
    accepted = force or previous_scores is None or composite(scores) >= composite(previous_scores) - tolerance
    seconds = round(time.perf_counter() - started, 2)
    store.save(model, {"heldout": scores, "trained_on": len(records), "reviewed": len(reviewed),
                       "seconds": seconds, "accepted": accepted}, make_current=accepted)
    return TrainResult(model.version, accepted, seconds, len(records), len(reviewed), scores, previous,
                       previous_scores)


def ensure_model(store: ModelStore) -> str:
    """The current model's version, training the first one from the corpus when there is none."""
    version = store.current_version()
    if version is not None:
        return version
    with store.training_lock():
        version = store.current_version()  # another process may have trained it while we waited
        if version is None:
            version = train(store, [], force=True).version
    return version

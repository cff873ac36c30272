"""The classify stage and the services behind ``donthu classify``/``train``: the current model from the data
dir (the first one trained from the shipped corpus), with the review thresholds from the settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from classify.labels import current_labels
from classify.model import LetterClassifier, Thresholds
from classify.store import ModelStore
from classify.training import TrainResult, ensure_model, reviewed_examples, train
from core.deadlines import processing_deadline
from core.settings import Settings
from ingest.services import Services
from models import Letter
from models.dossiers import holiday_set


def model_store(settings: Settings) -> ModelStore:
    return ModelStore(settings.models_dir)


@lru_cache(maxsize=4)
def _load(models_dir: str, version: str, thresholds: Thresholds) -> LetterClassifier:
    model = ModelStore(Path(models_dir)).load(version, thresholds)
    assert model is not None
    return model


def current_classifier(settings: Settings) -> LetterClassifier:
    """The current model, loaded once per process and version (a retrained model is picked up on the next call:
    the version is read each time)."""
    version = ensure_model(model_store(settings))
    return _load(str(settings.models_dir), version,
                 Thresholds(settings.review_threshold, settings.agency_review_threshold))


def classify_letter(svc: Services, letter_id: int) -> None:
    """Classify a letter's assembled text and store the prediction with the model version that made it."""
    with svc.db.read() as session:
        letter = session.get(Letter, letter_id)
        text = letter.full_text if letter else None
    if letter is None:
        return
    prediction = current_classifier(svc.settings).predict(text) if text and text.strip() else None
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is None:
            return
        letter.classification = prediction
        letter.model_version = prediction["model_version"] if prediction else None
        letter.needs_review = prediction["needs_review"] if prediction else True  # no text: a person must look
        labels = current_labels(session, letter)
        letter.type, letter.field, letter.agency = labels["type"], labels["field"], labels["agency"]
        letter.due_date = processing_deadline(letter.received_date, type=letter.type, channel=letter.channel,
                                              holidays=holiday_set(session)).due
        letter.refresh_queue()


def retrain(svc: Services, *, force: bool = False) -> TrainResult:
    """Train on the corpus plus every reviewer label; the new model becomes current unless it is worse."""
    with svc.db.read() as session:
        reviewed = reviewed_examples(session)
    store = model_store(svc.settings)
    with store.training_lock():
        return train(store, reviewed, tolerance=svc.settings.model_tolerance, force=force)


def retrain_due(svc: Services) -> bool:
    """True when reviewers have labelled letters since the current model was trained."""
    from sqlalchemy import func, select

    from models import LetterLabel

    store = model_store(svc.settings)
    version = store.current_version()
    with svc.db.read() as session:
        labels = session.scalar(select(func.count(LetterLabel.id))) or 0
    if version is None:
        return True
    return labels > int(store.metadata(version).get("reviewed", 0))

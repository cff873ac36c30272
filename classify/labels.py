"""Reviewer labels: what a person confirmed or corrected becomes training data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from classify.corpus import AGENCIES, FIELDS, TYPES
from models import Letter, LetterLabel
from models.audit import record


def record_labels(session: Session, letter_id: int, *, type: str, agency: str, field: str,  # noqa: A002
                  flags: dict | None = None, user_id: int | None = None, actor: str = "web") -> LetterLabel:
    """Store a reviewer's labels for a letter (in the caller's transaction) and note whether they correct the
    model's prediction."""
    if type not in TYPES or agency not in AGENCIES or field not in FIELDS:
        raise ValueError(f"unknown label: type={type!r}, agency={agency!r}, field={field!r}")
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise ValueError(f"letter {letter_id} does not exist")
    predicted = letter.classification or {}
    corrected = (predicted.get("type", {}).get("label"), predicted.get("agency", {}).get("label"),
                 predicted.get("field", {}).get("label")) != (type, agency, field)
    label = LetterLabel(letter_id=letter_id, type=type, agency=agency, field=field, flags=flags or {},
                        corrected=corrected, user_id=user_id)
    session.add(label)
    letter.type, letter.agency, letter.field = type, agency, field  # the labels as they now stand
    record(session, "labels_corrected" if corrected else "labels_confirmed", actor=actor, user_id=user_id,
           letter_id=letter_id, type=type, agency=agency, field=field,
           model_version=letter.model_version)
    return label


def latest_label(session: Session, letter_id: int) -> LetterLabel | None:
    return session.scalars(
        select(LetterLabel).where(LetterLabel.letter_id == letter_id).order_by(LetterLabel.id.desc()).limit(1)
    ).first()


def current_labels(session: Session, letter: Letter) -> dict[str, Any]:
    """The letter's labels as they stand: a reviewer's (the latest) over the model's prediction.
    ``reviewed`` says which; missing labels are None."""
    label = latest_label(session, letter.id)
    if label is not None:
        return {"type": label.type, "agency": label.agency, "field": label.field, "flags": dict(label.flags or {}),
                "reviewed": True}
    prediction = letter.classification or {}
    return {"type": (prediction.get("type") or {}).get("label"), "agency": (prediction.get("agency") or {}).get("label"),
            "field": (prediction.get("field") or {}).get("label"), "flags": dict(prediction.get("flags") or {}),
            "reviewed": False}

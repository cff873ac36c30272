"""Reviewer labels: what a person confirmed or corrected becomes training data."""

from __future__ import annotations

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
    record(session, "labels_corrected" if corrected else "labels_confirmed", actor=actor, user_id=user_id,
           letter_id=letter_id, type=type, agency=agency, field=field,
           model_version=letter.model_version)
    return label

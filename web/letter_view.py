"""What one user sees of one letter: text, pages, suggestions and duplicate candidates, masked where the
denouncer's identity is protected from them. Shared by the letter page, the review page and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from classify.labels import current_labels
from ingest.confidentiality import MASK, Masker, Visibility, visibility
from models import Dossier, Letter, Page, User

LOW_CONFIDENCE = 60.0  # OCR word confidence (0-100) under which a word is highlighted for checking
_TOKEN = re.compile(r"\S+")


@dataclass
class PageView:
    index: int
    status: str
    error: str | None
    confidence: float | None
    rotation: int
    skew: float
    has_image: bool
    text: str | None
    segments: list[tuple[str, bool]]  # (text, low confidence) runs of the page text, in order
    low_words: int


@dataclass
class LetterView:
    letter: Letter
    visibility: Visibility
    labels: dict[str, Any]
    classification: dict[str, Any] | None
    duplicates: list[dict[str, Any]]
    text: str | None
    pages: list[PageView]
    dossier: Dossier | None

    @property
    def masked(self) -> bool:
        return self.visibility.masked

    @property
    def original_name(self) -> str:
        """The uploaded file's name, masked too: a clerk may have named the scan after its sender."""
        return masked_file_name(self.visibility.masker, self.letter.original_name)

    @property
    def sender(self) -> str | None:
        return ((self.classification or {}).get("extracted") or {}).get("sender")


def masked_file_name(masker: Masker, name: str | None) -> str:
    """A file name with the identity masked (the masker reads "_" as a space: "Tran_Thi_Mat.pdf")."""
    if not name or not masker:
        return name or ""
    return masker.text(name) or ""


def text_segments(text: str, words: list[dict[str, Any]] | None) -> list[tuple[str, bool]]:
    """Split a page's text into runs, marking the words OCR was unsure of. The text was assembled from the same
    words in order, so a forward walk aligns them; a token that does not align is left unmarked."""
    if not words:
        return [(text, False)]
    segments: list[tuple[str, bool]] = []
    pointer, last = 0, 0
    for match in _TOKEN.finditer(text):
        low = False
        for ahead in range(pointer, min(pointer + 4, len(words))):
            if str(words[ahead].get("text", "")) == match.group(0):
                conf = words[ahead].get("conf")
                low = conf is not None and 0 <= float(conf) < LOW_CONFIDENCE
                pointer = ahead + 1
                break
        if low:
            segments.append((text[last:match.start()], False))
            segments.append((match.group(0), True))
            last = match.end()
    segments.append((text[last:], False))
    return [s for s in segments if s[0]]


def page_view(page: Page, masker: Masker) -> PageView:
    text = masker.text(page.text) if page.text is not None else None
    segments = text_segments(text, None if masker else page.words) if text else []
    return PageView(index=page.index, status=page.status, error=page.error, confidence=page.confidence,
                    rotation=page.rotation, skew=page.skew, has_image=bool(page.image_path), text=text,
                    segments=segments, low_words=sum(1 for _, low in segments if low))


def mask_classification(classification: dict[str, Any] | None, masker: Masker) -> dict[str, Any] | None:
    if classification is None or not masker:
        return classification
    masked = masker.value(classification)
    extracted = dict(masked.get("extracted") or {})
    for key in ("sender", "address"):
        if extracted.get(key):
            extracted[key] = MASK
    for key in ("phones", "citizen_ids"):
        if extracted.get(key):
            extracted[key] = [MASK for _ in extracted[key]]
    masked["extracted"] = extracted
    return masked


def letter_view(session: Session, user: User | None, letter: Letter) -> LetterView:
    """Build the view (reads only: the caller passes ``view.visibility`` to ``record_views`` afterwards)."""
    seen = visibility(session, user, letter)
    masker = seen.masker
    return LetterView(
        letter=letter,
        visibility=seen,
        labels=current_labels(session, letter),
        classification=mask_classification(letter.classification, masker),
        duplicates=masker.value(list(letter.duplicates or [])),
        text=masker.text(letter.full_text),
        pages=[page_view(p, masker) for p in letter.pages],
        dossier=session.get(Dossier, letter.dossier_id) if letter.dossier_id else None,
    )

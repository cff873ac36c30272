"""Denouncer confidentiality: for a denunciation (tố cáo) the sender's identity — name, address, phone, citizen ID
and their traces in the text and on the scanned pages — is shown only to the people handling it.

Who handles a protected letter: the clerk who registered it (they held the paper), reviewers (they make every
letter's first handling decision), and the officer assigned to its dossier and the reviewer who opened it.
Everyone else sees ``MASK`` in its place, and every view of a protected letter is written to the audit log.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from classify.labels import current_labels
from core.vntext import fold
from models import Dossier, Letter, User
from models.audit import record

PROTECTED_TYPE = "to_cao"
MASK = "[đã che]"
HANDLING_ROLES = frozenset({"reviewer"})


def is_protected(session: Session, letter: Letter) -> bool:
    """A letter is protected while its type, as a reviewer set it or else as the model predicted, is tố cáo,
    or while it belongs to a protected dossier."""
    if current_labels(session, letter)["type"] == PROTECTED_TYPE:
        return True
    if letter.dossier_id is not None:
        dossier = session.get(Dossier, letter.dossier_id)
        return bool(dossier and dossier.protected)
    return False


def handles(user: User | None, letter: Letter | None, dossier: Dossier | None) -> bool:
    """True if ``user`` is one of the people handling the letter (or the dossier)."""
    if user is None:
        return False
    if user.role in HANDLING_ROLES:
        return True
    if letter is not None and letter.created_by_id == user.id:
        return True
    return dossier is not None and user.id in (dossier.assigned_to_id, dossier.opened_by_id)


@dataclass
class Visibility:
    """What one user may see of one letter: ``masker`` hides the identity (a no-op when nothing is hidden)."""

    protected: bool
    shown: bool
    masker: Masker

    @property
    def masked(self) -> bool:
        return self.protected and not self.shown


def identity_terms(letter: Letter) -> list[str]:
    """The strings that identify the sender, from the extraction: name, address, phones, citizen IDs."""
    extracted = (letter.classification or {}).get("extracted") or {}
    terms = [extracted.get("sender"), extracted.get("address")]
    terms += list(extracted.get("phones") or []) + list(extracted.get("citizen_ids") or [])
    return [t for t in terms if t and len(str(t).strip()) >= 3]


def visibility(session: Session, user: User | None, letter: Letter, *, via: str) -> Visibility:
    """Decide what ``user`` sees of ``letter`` and, for a protected letter, record the view in the audit log (in
    the caller's transaction, so use a write session)."""
    protected = is_protected(session, letter)
    if not protected:
        return Visibility(False, True, Masker([]))
    dossier = session.get(Dossier, letter.dossier_id) if letter.dossier_id else None
    shown = handles(user, letter, dossier)
    record(session, "view_protected", actor=via, user_id=user.id if user else None, letter_id=letter.id,
           identity_shown=shown)
    return Visibility(True, shown, Masker([] if shown else identity_terms(letter)))


# -- masking ------------------------------------------------------------------------------------------------
def _fold_aligned(text: str) -> str:
    """``text`` folded one character at a time, so positions in the result are positions in ``text``."""
    out = []
    for ch in text:
        folded = fold(ch)
        out.append(folded if len(folded) == 1 else ch.lower())
    return "".join(out)


def _term_pattern(term: str) -> re.Pattern[str] | None:
    """A pattern over folded text: words separated by any spacing or punctuation; digit runs may be written
    with dots, dashes or spaces between digits (0905.123.456)."""
    words = re.findall(r"[^\W_]+", _fold_aligned(term))
    if not words:
        return None
    parts = []
    for word in words:
        if word.isdigit():
            parts.append(r"[\s.\-]*".join(word))
        else:
            parts.append(re.escape(word))
    return re.compile(r"(?<![^\W_])" + r"[\s,.;:\-]+".join(parts) + r"(?![^\W_])")


class Masker:
    """Hides a set of identity strings wherever they occur, in any accent form or spacing."""

    def __init__(self, terms: Iterable[str]) -> None:
        patterns = [_term_pattern(t) for t in terms]
        self.patterns = [p for p in patterns if p is not None]

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def spans(self, text: str) -> list[tuple[int, int]]:
        folded = _fold_aligned(text)
        found = sorted((m.start(), m.end()) for p in self.patterns for m in p.finditer(folded))
        merged: list[tuple[int, int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def text(self, text: str | None) -> str | None:
        if not text or not self.patterns:
            return text
        out, last = [], 0
        for start, end in self.spans(text):
            out += [text[last:start], MASK]
            last = end
        out.append(text[last:])
        return "".join(out)

    def value(self, value: Any) -> Any:
        """Mask every string inside a JSON-like value (a classification, duplicate candidates)."""
        if not self.patterns:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def word_boxes(self, words: Sequence[dict[str, Any]]) -> list[list[int]]:
        """Boxes of the OCR words that spell an identity string, to black out on the page image."""
        if not self.patterns or not words:
            return []
        joined, owner = [], []
        for i, word in enumerate(words):
            token = str(word.get("text") or "")
            joined.append(token)
            owner += [i] * len(token) + [-1]
        line = " ".join(joined)
        hit: set[int] = set()
        for start, end in self.spans(line):
            hit.update(owner[j] for j in range(start, end) if owner[j] >= 0)
        return [list(words[i]["box"]) for i in sorted(hit) if words[i].get("box")]


def masked_png(path: str, boxes: Sequence[Sequence[int]], pad: int = 4) -> bytes:
    """The page image with the given boxes blacked out, as PNG bytes."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        draw = ImageDraw.Draw(image)
        for x, y, w, h in boxes:
            draw.rectangle([x - pad, y - pad, x + w + pad, y + h + pad], fill="black")
        out = io.BytesIO()
        image.save(out, format="PNG")
    return out.getvalue()

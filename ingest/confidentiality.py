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
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.vntext import fold
from models import Dossier, Letter, User
from models.audit import record
from models.session import Database

PROTECTED_TYPE = "to_cao"
MASK = "[đã che]"
HANDLING_ROLES = frozenset({"reviewer"})


def protected_letters(session: Session, letters: Sequence[Letter]) -> set[int]:
    """The ids of the letters that are protected: their type as it stands (a reviewer's label, else the model's
    prediction) is tố cáo, or they belong to a protected dossier. One query for any number of letters."""
    if not letters:
        return set()
    dossier_ids = {x.dossier_id for x in letters if x.dossier_id is not None}
    protected_dossiers = set(session.scalars(select(Dossier.id).where(Dossier.id.in_(dossier_ids),
                                                                      Dossier.protected.is_(True)))) if dossier_ids else set()
    protected = set()
    for letter in letters:
        if letter.type == PROTECTED_TYPE or letter.dossier_id in protected_dossiers:
            protected.add(letter.id)
    return protected


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

    letter_id: int
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


def visibilities(session: Session, user: User | None, letters: Sequence[Letter]) -> dict[int, Visibility]:
    """What ``user`` sees of each letter. Nothing is written: pass the result to ``record_views``."""
    protected = protected_letters(session, letters)
    dossier_ids = {x.dossier_id for x in letters if x.id in protected and x.dossier_id is not None}
    dossiers = {d.id: d for d in session.scalars(select(Dossier).where(Dossier.id.in_(dossier_ids)))} if dossier_ids else {}
    seen = {}
    for letter in letters:
        if letter.id not in protected:
            seen[letter.id] = Visibility(letter.id, False, True, Masker([]))
            continue
        shown = handles(user, letter, dossiers.get(letter.dossier_id))
        seen[letter.id] = Visibility(letter.id, True, shown, Masker([] if shown else identity_terms(letter)))
    return seen


def visibility(session: Session, user: User | None, letter: Letter) -> Visibility:
    return visibilities(session, user, [letter])[letter.id]


def record_views(db: Database, user: User | None, seen: Iterable[Visibility], *, via: str, **detail: Any) -> None:
    """Write the audit events for the protected letters among ``seen``, in one short transaction of their own
    (a page view of an unprotected letter takes no write lock at all)."""
    events = [v for v in seen if v.protected]
    if not events:
        return
    with db.write() as session:
        for view in events:
            record(session, "view_protected", actor=via, user_id=user.id if user else None,
                   letter_id=view.letter_id, identity_shown=view.shown, **detail)


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
    # file names join words with underscores and slashes: "Tran_Thi_Mat.pdf" spells the name too
    return re.compile(r"(?<![^\W_])" + r"[\s,.;:\-_/]+".join(parts) + r"(?![^\W_])")


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

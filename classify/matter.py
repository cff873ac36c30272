"""Is a letter about the same matter as an earlier one, and from the same person? Pure functions over two texts
and the facts extracted from them.

Text overlap alone is weak: citizens rewrite a letter when they send it again (a re-send shares 10–45% of its
word 3-grams with the original) while a different matter from the same person can share 11% (the same
address, the same way of writing). So the evidence is:

* **who**: the same sender name, phone or citizen ID;
* **what**: topical similarity of the bodies — tf·idf cosine over folded words, with the idf of the shipped
  corpus, after removing the lines that only say who writes to whom — and the specific facts both letters
  name: persons other than the sender, decision numbers, dates, amounts and areas, places;
* **against**: both letters cite decision numbers and none is shared (a different decision is a different matter).

The weights of :func:`matter_probability` come from a logistic regression on the corpus's pairs of letters by one
person — its re-sends against that person's other matters (``.venv/bin/python tools/fit_matter_weights.py
--same-person`` prints the fit and scores the shipped weights).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from classify.extract import _DECISION, _NAME, _PHONE, Extracted
from core.vntext import fold, name_key, normalize

KINDS = ("exact", "repeat", "same_sender", "same_matter")

# Common surnames: a capitalised run starting with one of them is a person, otherwise a place or a body.
_SURNAME_WORDS = (
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly luong ma trieu nong ha vi lo dinh "
    "mai cao lam trinh doan dao thach tong luu quach la kieu giang tang au chu to khuat hua lai chau thai "
    "ton diep kim son tao quan"
)
_SURNAMES = frozenset(_SURNAME_WORDS.split())
_DATE = re.compile(r"(?:ngày\s+)?(\d{1,2})\s*(?:/|-|\.|\s+tháng\s+)(\d{1,2})\s*(?:/|-|\.|\s+năm\s+)(\d{4})", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s*%)?")
_CITIZEN_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_PERSON_OR_PLACE = re.compile(_NAME)
_TOKEN = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
# Lines that say who writes to whom, not what about: kept out of the body so two letters of one person about
# different matters do not look alike through their shared header.
_HEADER_LINE = re.compile(r"^\s*(?:kinh gui|dong kinh gui|dong gui|cong hoa|doc lap)")
_ADDRESSEE_ITEM = re.compile(r"^\s*[-+•]\s*(?:dong chi|ban|so|uy ban|ubnd|thanh tra|cong an|vien|toa|hoi dong|tinh uy|chu tich)")
_IDENTITY_LINE = re.compile(
    r"\b(?:dia chi|cccd|can cuoc|cmnd|dien thoai|sdt|dt|sinh nam|sn|tru tai|thuong tru|cu tru|ho va ten|"
    r"toi ten la|toi ten|toi la)\b"
)
_DATE_ONLY_LINE = re.compile(r"^[^\n]{0,40}ngay \d+ thang \d+ nam \d{4}\s*\.?\s*$")
_REPEAT_MARKER = re.compile(
    r"\blan (?:2|3|4|hai|ba|bon|thu)\b|gui lai|tiep tuc gui|da (?:gui|co|lam) don|chua (?:nhan duoc|duoc "
    r"(?:tra loi|giai quyet|xem xet))|khong (?:duoc|thay) (?:tra loi|hoi am)"
)

# Fitted weights (see the module docstring; the fit on one-person pairs, rounded): logit = bias + Σ weight · feature.
_BIAS = -4.61
_WEIGHTS = {
    "cosine": 4.05,  # tf·idf cosine of the bodies, 0..1
    "people": 2.37,  # shared persons other than the sender (capped at 2)
    "decisions": 1.35,  # shared decision numbers (capped at 2)
    "dates": 3.07,  # shared dates in the bodies (capped at 3)
    "amounts": 0.37,  # shared amounts, areas, percentages (capped at 4)
    "places": 0.72,  # shared place names in the bodies (capped at 4)
    "marker": 2.20,  # the later letter says it is sent again ("lần 2", "gửi lại", "chưa được trả lời")
    "conflict": -0.83,  # both cite decisions, none shared
}
_CAPS = {"people": 2, "decisions": 2, "dates": 3, "amounts": 4, "places": 4}
SAME_MATTER = 0.5  # matter probability from which one person's two letters are one matter (a repeat)
# Different senders need far stronger evidence: neighbours write alike about the same project or the same farm
CAMPAIGN = 0.9


@dataclass
class Evidence:
    """How two letters compare: the features the score is made of, and the shared facts for the reasons."""

    same_person: list[str] = field(default_factory=list)  # why: "name", "phone", "citizen ID"
    cosine: float = 0.0
    people: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    amounts: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    marker: bool = False
    conflict: bool = False

    def features(self) -> dict[str, float]:
        capped = {k: min(len(getattr(self, k)), cap) for k, cap in _CAPS.items()}
        return {"cosine": self.cosine, **capped, "marker": float(self.marker), "conflict": float(self.conflict)}


# -- facts of one letter ----------------------------------------------------------------------------------------
def body(text: str, sender: str | None) -> str:
    """The letter without its header lines, identity lines and date line: what the letter is about."""
    sender_folded = fold(sender) if sender else None
    kept: list[str] = []
    for line in normalize(text).split("\n"):
        folded = fold(line)
        if _HEADER_LINE.match(folded) or _DATE_ONLY_LINE.match(folded) or (
            len(folded) < 100 and _ADDRESSEE_ITEM.match(folded)
        ):
            continue
        if len(folded) < 160 and _IDENTITY_LINE.search(folded):
            continue
        if sender_folded and len(folded) < 80 and sender_folded in folded:
            continue
        kept.append(line)
    return "\n".join(kept)


def matter_facts(text: str, extracted: Extracted) -> dict[str, Any]:
    """The facts duplicate detection compares, JSON-ready (stored with the letter's search document)."""
    text = normalize(text or "")
    about = body(text, extracted.sender)
    content = _PHONE.sub(" ", about)
    content = _CITIZEN_ID.sub(" ", content)
    dates: set[str] = set()

    def keep_date(match: re.Match[str]) -> str:
        dates.add(f"{int(match.group(1))}/{int(match.group(2))}/{match.group(3)}")
        return " "

    content = _DATE.sub(keep_date, content)
    content = _DECISION.sub(" ", content)
    amounts: set[str] = set()
    for match in _NUMBER.finditer(content):
        raw = match.group(0).replace(" ", "")
        digits = re.sub(r"[.,%]", "", raw)
        if raw.endswith("%"):
            amounts.add(digits + "%")
        elif len(digits) >= 3 and not re.fullmatch(r"(?:19|20)\d\d", digits):
            amounts.add(digits)
    own = name_key(extracted.sender) if extracted.sender else None
    # names as written (for the reasons a reviewer reads), one per folded key (for comparing)
    people: dict[str, str] = {name_key(a["name"]): normalize(a["name"]) for a in extracted.accused}
    places: dict[str, str] = {}
    for match in _PERSON_OR_PLACE.finditer(content):
        written = " ".join(match.group(0).split())
        key = name_key(written)
        words = key.split()
        if key == own or min(len(w) for w in words) < 2:  # "U N" is a cut-off abbreviation, not a name
            continue
        target = people if words[0] in _SURNAMES and len(words) >= 3 else places
        target.setdefault(key, written)
    people.pop(own or "", None)
    return {
        "sender": name_key(extracted.sender) if extracted.sender else None,
        "anonymous": extracted.anonymous,
        "phones": sorted({re.sub(r"\D", "", p)[-9:] for p in extracted.phones}),
        "citizen_ids": sorted(set(extracted.citizen_ids)),
        "decisions": sorted({normalize(re.sub(r"\s+", "", d)): None for d in extracted.decision_numbers}),
        "people": sorted(people.values()),
        "places": sorted(places.values()),
        "dates": sorted(dates),
        "amounts": sorted(amounts),
        "marker": bool(_REPEAT_MARKER.search(fold(text))),
        "letter_date": _short_date(extracted.letter_date),
        "keywords": keywords(about),
    }


def _short_date(iso: str | None) -> str | None:
    """2025-10-02 → 2/10/2025, the form of the dates found in bodies."""
    if not iso:
        return None
    year, month, day = iso.split("-")
    return f"{int(day)}/{int(month)}/{year}"


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    """Inverse document frequencies of folded words in the shipped corpus (bodies only)."""
    from classify.corpus import load, training_records

    records = training_records(load())
    df: Counter[str] = Counter()
    for record in records:
        df.update(set(_TOKEN.findall(fold(body(record["text"], record.get("sender"))))))
    n = len(records)
    table = {w: math.log((n + 1) / (c + 1)) + 1.0 for w, c in df.items()}
    return table, math.log(n + 1) + 1.0


def term_vector(text: str, sender: str | None) -> dict[str, float]:
    """Unit-length tf·idf vector of the body's folded words (sublinear tf)."""
    idf, unseen = _idf()
    counts = Counter(_TOKEN.findall(fold(body(text, sender))))
    weights = {w: (1.0 + math.log(c)) * idf.get(w, unseen) for w, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    return {w: v / norm for w, v in weights.items()}


def keywords(about: str, count: int = 10) -> list[str]:
    """The rarest words of a letter's :func:`body` (by the corpus's idf, then how often the letter uses them), leaving out words in
    more than 2% of the corpus: what a more-like-this query asks the index for. Rare words have short posting
    lists, so the query stays fast however large the index grows.

    Ten, not more: on the corpus's 90 re-sends the distinctive-words route finds the original as often with 10
    as with 16 (85), while at 100,000 letters ranking the union of 16 posting lists costs twice as much."""
    idf, unseen = _idf()
    floor = unseen - math.log(50)  # idf of a word in 2% of the corpus
    counts = Counter(_TOKEN.findall(fold(about)))
    rare = [w for w in counts if idf.get(w, unseen) >= floor]
    rare.sort(key=lambda w: (-idf.get(w, unseen), -counts[w], w))
    return rare[:count]


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


# -- comparing two letters ------------------------------------------------------------------------------------
def compare(new: dict[str, Any], old: dict[str, Any], similarity: float) -> Evidence:
    """Evidence from two letters' facts (:func:`matter_facts`) and their body cosine; ``new`` is the later."""
    same: list[str] = []
    if new.get("sender") and new.get("sender") == old.get("sender"):
        same.append("name")
    if set(new.get("phones", [])) & set(old.get("phones", [])):
        same.append("phone")
    if set(new.get("citizen_ids", [])) & set(old.get("citizen_ids", [])):
        same.append("citizen_id")
    decisions_new = {_decision_key(d) for d in new.get("decisions", [])}
    decisions_old = {_decision_key(d) for d in old.get("decisions", [])}

    def shared(key: str) -> list[str]:
        return sorted(set(new.get(key, [])) & set(old.get(key, [])))

    def shared_names(key: str) -> list[str]:
        theirs = {name_key(n) for n in old.get(key, [])}
        return sorted(n for n in new.get(key, []) if name_key(n) in theirs)

    return Evidence(
        same_person=same,
        cosine=round(similarity, 4),
        people=shared_names("people"),
        decisions=sorted(d for d in new.get("decisions", []) if _decision_key(d) in decisions_old),
        # a date the later letter cites may be the date written on the earlier one ("ngày 02/10/2025 tôi đã gửi đơn")
        dates=sorted(set(new.get("dates", [])) & (set(old.get("dates", [])) | {old.get("letter_date")})),
        amounts=shared("amounts"),
        places=shared_names("places"),
        marker=bool(new.get("marker")),
        conflict=bool(decisions_new and decisions_old and not decisions_new & decisions_old),
    )


def _decision_key(number: str) -> str:
    return fold(number).upper()


def matter_probability(evidence: Evidence) -> float:
    """Probability that two letters are about one matter, whoever sent them."""
    features = evidence.features()
    logit = _BIAS + sum(_WEIGHTS[k] * v for k, v in features.items())
    return 1.0 / (1.0 + math.exp(-logit))


@dataclass(frozen=True)
class Judgement:
    kind: str  # one of KINDS
    score: float  # 0..1
    reasons: list[str]


def judge(evidence: Evidence) -> Judgement | None:
    """The kind of duplicate a reviewer should see, or None when the letters are unrelated."""
    matter = matter_probability(evidence)
    person = bool(evidence.same_person)
    if person and matter >= SAME_MATTER:
        kind, score = "repeat", 0.5 + matter / 2
    elif person:  # another matter of the same person: shown to the reviewer, never merged
        kind, score = "same_sender", 0.3 + 0.2 * matter
    elif matter >= CAMPAIGN:
        kind, score = "same_matter", 0.3 + 0.5 * matter
    else:
        return None
    return Judgement(kind, round(score, 3), reasons(evidence))


_PERSON_REASONS = {"name": "cùng người gửi", "phone": "cùng số điện thoại", "citizen_id": "cùng số CCCD"}


def reasons(evidence: Evidence) -> list[str]:
    """Human-readable reasons, in Vietnamese, strongest first."""
    out = [_PERSON_REASONS[p] for p in evidence.same_person]
    out.append(f"nội dung giống {round(evidence.cosine * 100)}%")
    out += [f"cùng quyết định {d}" for d in evidence.decisions]
    out += [f"cùng nhắc đến {p}" for p in evidence.people[:3]]
    if evidence.dates:
        out.append("cùng ngày " + ", ".join(evidence.dates[:3]))
    if evidence.amounts:
        out.append("cùng số liệu " + ", ".join(evidence.amounts[:3]))
    if evidence.places:
        out.append("cùng địa danh " + ", ".join(evidence.places[:3]))
    if evidence.marker:
        out.append("đơn ghi là gửi lại")
    if evidence.conflict:
        out.append("khác số quyết định")
    return out


def exact_reasons(same_bytes: bool) -> list[str]:
    return ["cùng tệp" if same_bytes else "cùng nội dung văn bản"]

"""Parsing what an officer types into a search box; shared by both backends so they read queries alike.

* words match with or without diacritics; a word typed with diacritics also asks for the exact accented form,
  which ranks first;
* ``"quoted words"`` are a phrase; ``word*`` is a prefix;
* a citizen ID (12 digits), a phone number, a register number ("0012/2026") or a decision number
  ("1877/QĐ-UBND") is looked up as an identifier in the letter's facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.vntext import fold, has_diacritics, normalize

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_QUOTED = re.compile(r'"([^"]*)"?')
_CITIZEN_ID = re.compile(r"^\d{12}$")
_PHONE = re.compile(r"^(?:\+84|84|0)\d{8,10}$")
_REGISTER = re.compile(r"^(\d{1,5})/(\d{4})$")
_DECISION = re.compile(r"^\d{1,5}(?:/\d{4})?/[^\W\d_][\w.-]*$", re.UNICODE)
_PHONE_TYPED = re.compile(r"(?<![\w/])(?:\+84|0)(?:[\s.-]?\d){8,10}(?![\w/])")


@dataclass(frozen=True)
class Term:
    """One word: ``folded`` always; ``exact`` (normalised, lower case) only when typed with diacritics."""

    folded: str
    exact: str | None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class Identifier:
    kind: str  # citizen_id | phone | register_no | decision_number
    value: str  # canonical form: see the ``canonical_*`` functions


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...] = ()
    phrases: tuple[Phrase, ...] = ()
    identifiers: tuple[Identifier, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.identifiers)

    @property
    def has_exact(self) -> bool:
        """True when some word was typed with diacritics (exact accented matches then rank first)."""
        words = list(self.terms) + [t for p in self.phrases for t in p.terms]
        return any(t.exact for t in words)

    def all_terms(self) -> list[Term]:
        return list(self.terms) + [t for p in self.phrases for t in p.terms]


def canonical_phone(raw: str) -> str:
    """Digits only, with the country code written as the leading 0 ("+84 912…" → "0912…")."""
    digits = re.sub(r"\D", "", raw)
    if raw.strip().startswith("+84") or (digits.startswith("84") and len(digits) == 11):
        digits = "0" + digits[2:]
    return digits


def canonical_decision(raw: str) -> str:
    """Folded, upper case, no spaces: "1877/QĐ-UBND" and "1877/qd-ubnd" compare equal."""
    return fold(re.sub(r"\s+", "", raw)).upper()


def canonical_register(raw: str) -> str:
    seq, year = raw.split("/")
    return f"{int(seq):04d}/{year}"


def _term(word: str, prefix: bool = False) -> Term:
    word = normalize(word).lower()
    return Term(folded=fold(word), exact=word if has_diacritics(word) else None, prefix=prefix)


def _identifier(token: str) -> Identifier | None:
    if _CITIZEN_ID.match(token):
        return Identifier("citizen_id", token)
    if _PHONE.match(token):
        return Identifier("phone", canonical_phone(token))
    if _REGISTER.match(token):
        return Identifier("register_no", canonical_register(token))
    if _DECISION.match(token):
        return Identifier("decision_number", canonical_decision(token))
    return None


def parse(text: str) -> ParsedQuery:
    """Split a typed query into words, phrases and identifiers."""
    text = normalize(text or "")
    phrases: list[Phrase] = []
    for match in _QUOTED.finditer(text):
        words = tuple(_term(w) for w in _WORD.findall(match.group(1)))
        if words:
            phrases.append(Phrase(words))
    rest = _QUOTED.sub(" ", text)
    identifiers: list[Identifier] = []
    # a phone typed with spaces or dots ("0912 345 678") is one identifier
    for match in _PHONE_TYPED.finditer(rest):
        identifiers.append(Identifier("phone", canonical_phone(match.group(0))))
    rest = _PHONE_TYPED.sub(" ", rest)
    terms: list[Term] = []
    for token in rest.split():
        token = token.strip(".,;:()[]")
        if not token:
            continue
        ident = _identifier(token)
        if ident:
            identifiers.append(ident)
            continue
        prefix = token.endswith("*")
        words = _WORD.findall(token)
        for i, word in enumerate(words):
            terms.append(_term(word, prefix=prefix and i == len(words) - 1))
    return ParsedQuery(tuple(terms), tuple(phrases), tuple(dict.fromkeys(identifiers)))

"""Highlighted snippets: the best window of a letter's text with the matched words marked.

Matching is on folded words, so "Nguyen" marks "Nguyễn"; the snippet shows the original accented text,
HTML-escaped, with ``<mark>`` around each matched word.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from core.vntext import fold, normalize
from search.querytext import ParsedQuery, Term

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    # a language has a few thousand syllables: folding each once per process makes snippets cheap
    return fold(word)


def _matcher(terms: list[Term]):  # noqa: ANN202
    """A test of one folded word against the terms: a set lookup and one tuple ``startswith``."""
    exact = {t.folded for t in terms if not t.prefix}
    prefixes = tuple(t.folded for t in terms if t.prefix)
    return lambda folded: folded in exact or (bool(prefixes) and folded.startswith(prefixes))


def _marked_by_regex(text: str, folded: str, terms: list[Term]) -> list[tuple[int, tuple[int, int], str]]:
    """Matched words found by one regular expression over the folded text (its characters line up with the
    text's): (gap marker, span, folded word). Words side by side have no word character between them."""
    exact = sorted({re.escape(t.folded) for t in terms if not t.prefix}, key=len, reverse=True)
    prefix = sorted({re.escape(t.folded) for t in terms if t.prefix}, key=len, reverse=True)
    alternatives = [f"(?:{'|'.join(exact)})(?![^\\W_])"] if exact else []
    alternatives += [f"(?:{'|'.join(prefix)})[^\\W_]*"] if prefix else []
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + ")")
    marked: list[tuple[int, tuple[int, int], str]] = []
    group, last_end = 0, None
    for match in pattern.finditer(folded):
        if last_end is None or _WORD.search(folded, last_end, match.start()):
            group += 2  # not next to the previous match
        else:
            group += 1
        marked.append((group, match.span(), match.group(0)))
        last_end = match.end()
    return marked


def snippet(text: str, parsed: ParsedQuery, *, width: int = 180, folded: str | None = None) -> str:
    """About ``width`` characters of ``text`` around the densest cluster of matched words, marked up.

    ``folded``: ``fold(text)`` of an already normalised ``text``, when the caller has it (the index stores
    both), which spares normalising and folding the whole letter for every hit."""
    terms = parsed.all_terms()
    if folded is None:
        text = normalize(text or "")
        folded = fold(text) if terms else ""
    if terms and len(folded) == len(text):
        marked = _marked_by_regex(text, folded, terms)
    else:  # a text whose folding changes its length: fold word by word
        matches = _matcher(terms)
        words = list(_WORD.finditer(text))
        folded_words = [_fold_word(m.group(0)) for m in words] if terms else []
        marked = [(n, m.span(), folded_words[n]) for n, m in enumerate(words) if terms and matches(folded_words[n])]
    spans = [span for _, span, _ in marked]
    if not spans:
        return _plain(text, 0, width)
    # the window with the most distinct query words, then the most side by side ("Nguyễn Văn Thắng" as a name
    # rather than "Nguyên" of the province three times), then the most matches
    best_start, best_score, j = spans[0][0], (-1, -1, -1), 0
    for i, (_, (start, _), _) in enumerate(marked):
        while j < len(marked) and marked[j][1][1] - start <= width:
            j += 1
        window = marked[i:j]
        adjacent = sum(1 for a, b in zip(window, window[1:], strict=False) if b[0] == a[0] + 1)
        score = (len({w for _, _, w in window}), adjacent, -len(window))
        if score > best_score:
            best_start, best_score = start, score
    begin = max(0, best_start - width // 4)
    begin = text.rfind(" ", 0, begin) + 1 if begin else 0
    end = min(len(text), begin + width)
    if end < len(text):
        space = text.find(" ", end)
        end = space if space != -1 and space - end < 20 else end
    out: list[str] = ["…" if begin else ""]
    cursor = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        out.append(escape(text[cursor:start]))
        out.append(f"<mark>{escape(text[start:stop])}</mark>")
        cursor = stop
    out.append(escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return " ".join("".join(out).split())


def _plain(text: str, begin: int, width: int) -> str:
    piece = " ".join(text[begin : begin + width].split())
    return escape(piece) + ("…" if len(text) > begin + width else "")

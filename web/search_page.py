"""The officers' search page: one box, filters, highlighted results linking to letters and dossiers. Hits of
protected letters are masked for users who do not handle them (the snippet is cut again from the masked text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from classify.corpus import AGENCIES, FIELDS, TYPES
from core.dates import parse_day
from core.settings import CHANNELS
from core.vntext import fold
from ingest.confidentiality import MASK, Masker, Visibility, identity_terms, record_views, visibilities
from models import Agency, Dossier, Letter, User
from search.base import SearchHit, SearchQuery, SearchResult
from search.querytext import ParsedQuery, parse
from search.snippets import snippet
from web.app import services
from web.permissions import requires

search_page = Blueprint("search_page", __name__)
PAGE_SIZE = 20
MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """One hit in the shape ``donthu search --json`` prints."""
    return {"letter_id": hit.letter_id, "register_no": hit.register_no, "score": hit.score, "sender": hit.sender,
            "snippet": hit.snippet, "received_date": hit.received_date.isoformat()}


def result_json(result: SearchResult) -> dict[str, Any]:
    return {"total": result.total, "hits": [hit_json(h) for h in result.hits]}


def query_from_args(args: Any, *, limit: int = PAGE_SIZE) -> SearchQuery:
    """A SearchQuery from request arguments; raises ValueError with the bad argument named."""
    def day(name: str) -> date | None:
        try:
            return parse_day(args.get(name))
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc

    def number(name: str, default: int, low: int, high: int) -> int:
        try:
            value = int(args.get(name) or default)
        except ValueError as exc:
            raise ValueError(gettext("%(name)s phải là số", name=name)) from exc
        return min(high, max(low, value))  # a negative limit would mean "all", a huge offset overflows

    dossier = args.get("dossier") or None
    if dossier and str(dossier).isdigit() and int(dossier) > MAX_OFFSET:
        dossier = "0"  # names no dossier (ids are 32-bit), rather than overflowing the index's integer
    return SearchQuery(
        text=(args.get("q") or "").strip(), type=args.get("type") or None, agency=args.get("agency") or None,
        field=args.get("field") or None, status=args.get("status") or None, channel=args.get("channel") or None,
        dossier_id=int(dossier) if dossier and str(dossier).isdigit() else None, date_from=day("from"),
        date_to=day("to"), sort=args.get("sort") or "relevance", limit=number("limit", limit, 1, MAX_LIMIT),
        offset=number("offset", 0, 0, MAX_OFFSET))


def matches_without_identity(parsed: ParsedQuery, masked_text: str) -> bool:
    """Whether a letter still matches the query once its protected identity is masked. A hit that matched only
    through the hidden name, phone or citizen ID must not be shown: it would tell who wrote the denunciation."""
    words = set(re.findall(r"[^\W_]+", fold(masked_text)))
    terms = list(parsed.terms) + [t for phrase in parsed.phrases for t in phrase.terms]
    for term in terms:
        if term.prefix:
            if not any(w.startswith(term.folded) for w in words):
                return False
        elif term.folded not in words:
            return False
    digits = re.sub(r"\D", "", masked_text)
    return all(i.value in digits for i in parsed.identifiers if i.kind in ("citizen_id", "phone"))


def plain_snippet(text: str, width: int = 180) -> str:
    """The beginning of a text as a snippet without marks: escaped, whitespace collapsed."""
    piece = " ".join(text[:width].split())
    return escape(piece) + ("…" if len(text) > width else "")


@dataclass
class ShownHits:
    hits: list[SearchHit]
    withheld: int  # protected letters that matched only through their hidden identity
    seen: list[Visibility]  # the protected letters shown, for the audit log


def masked_hits(session: Session, user: User | None, result: SearchResult, query_text: str) -> ShownHits:
    """The hits as ``user`` may see them. A protected letter's sender and its traces in the snippet are masked
    unless the user handles it, and it is withheld when it matched only through the hidden identity."""
    letters = list(session.scalars(select(Letter).where(Letter.id.in_([h.letter_id for h in result.hits]))))
    by_id = {x.id: x for x in letters}
    views = visibilities(session, user, letters)
    parsed = parse(query_text) if query_text else None
    shown: list[SearchHit] = []
    seen: list[Visibility] = []
    withheld = 0
    for hit in result.hits:
        letter = by_id.get(hit.letter_id)
        if letter is None:
            continue
        view = views[letter.id]
        if view.masked:
            text = Masker(identity_terms(letter)).text(letter.full_text or "") or ""
            if parsed is not None and not matches_without_identity(parsed, text):
                withheld += 1
                continue
            # a snippet is HTML (escaped text and <mark>): the page shows it as is
            cut = snippet(text, parsed) if parsed else plain_snippet(text)
            hit = SearchHit(letter_id=hit.letter_id, register_no=hit.register_no, score=hit.score,
                            sender=MASK if hit.sender else hit.sender, snippet=cut, received_date=hit.received_date)
        if view.protected:
            seen.append(view)
        shown.append(hit)
    return ShownHits(shown, withheld, seen)


@search_page.route("/search")
@requires("search")
def search():  # noqa: ANN201
    args = request.args
    error = None
    hits: list[SearchHit] = []
    total = 0
    page = max(1, args.get("page", 1, type=int))
    query_text = (args.get("q") or "").strip()
    searched = any(args.get(k) for k in ("q", "type", "agency", "field", "channel", "from", "to"))
    dossiers: dict[int, Dossier] = {}
    result = None
    if searched:
        try:
            result = services().search.query(query_from_args({**args.to_dict(), "offset": (page - 1) * PAGE_SIZE}))
        except ValueError as exc:
            error = str(exc)
    seen: list[Visibility] = []
    with services().db.read() as db:
        agencies = {a.code: a.name for a in db.scalars(select(Agency).order_by(Agency.sort_order))}
        if result is not None:
            shown = masked_hits(db, g.user, result, query_text)
            hits, seen, total = shown.hits, shown.seen, result.total - shown.withheld
            rows = db.execute(select(Letter.id, Dossier).join(Dossier, Letter.dossier_id == Dossier.id)
                              .where(Letter.id.in_([h.letter_id for h in hits]))).all()
            dossiers = {letter_id: dossier for letter_id, dossier in rows}
        html = render_template("search.html", hits=hits, total=total, q=query_text, args=args, page=page,
                               page_size=PAGE_SIZE, error=error, searched=searched, dossiers=dossiers, types=TYPES,
                               agencies=agencies, agency_codes=AGENCIES, fields=FIELDS, channels=CHANNELS)
    record_views(services().db, g.user, seen, via="web", search=query_text)
    return html

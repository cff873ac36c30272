"""The embedded search backend: SQLite FTS5.

When the application database is SQLite the index tables live in it, and a caller may pass its session so a
letter and its index entry are written in one transaction. With PostgreSQL the index is a SQLite file of its own.

Accent-insensitive matching: FTS5's ``remove_diacritics`` leaves đ alone, so every text is stored twice — as
written (``names``, ``body``: matched for the exact-accent tier) and folded in Python (``names_f``, ``body_f``:
matched for recall). Identifiers (citizen IDs, phones, register and decision numbers) become single tokens
in ``ids``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from core.vntext import fold, name_key, normalize
from models.session import get_engine
from search.base import SearchDocument, SearchHit, SearchQuery, SearchResult
from search.querytext import (
    Identifier,
    ParsedQuery,
    Phrase,
    Term,
    canonical_decision,
    canonical_phone,
    canonical_register,
    parse,
)
from search.snippets import snippet

LIVE = "live"
# bm25 weights per column: names, names_f, body, body_f, ids
_WEIGHTS = "4.0, 4.0, 1.0, 1.0, 8.0"
_MLT_TERMS = 24  # distinctive words of a letter asked for in a more-like-this query
_MLT_COMMON = 0.05  # words in more than this share of letters are not distinctive

_SCHEMA = (
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        names, names_f, body, body_f, ids, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_vocab USING fts5vocab(search_fts, 'row')",
    # the names again, alone: their posting lists are short, so "is it a name?" is cheap to ask first
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_names USING fts5(
        names, names_f, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')""",
    """CREATE TABLE IF NOT EXISTS search_docs (
        letter_id INTEGER PRIMARY KEY, register_no TEXT NOT NULL, received_date TEXT NOT NULL, sender TEXT,
        sender_key TEXT,
        type TEXT, agency TEXT, field TEXT, status TEXT, channel TEXT, dossier_id INTEGER, text_hash TEXT,
        doc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_search_docs_received ON search_docs (received_date, letter_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_docs_text_hash ON search_docs (text_hash)",
    "CREATE INDEX IF NOT EXISTS ix_search_docs_sender_key ON search_docs (sender_key, letter_id)",
)
_FILTERS = ("type", "agency", "field", "status", "channel", "dossier_id")


def identifier_tokens(doc: SearchDocument) -> list[str]:
    """One alphanumeric token per identifier, so the tokenizer keeps it whole."""
    tokens = [f"cccd{c}" for c in doc.citizen_ids]
    tokens += [f"tel{canonical_phone(p)}" for p in doc.phones]
    tokens.append(_register_token(doc.register_no))
    tokens += [_decision_token(d) for d in doc.decision_numbers]
    return tokens


def _register_token(register_no: str) -> str:
    return "reg" + re.sub(r"\W", "", canonical_register(register_no)) if "/" in register_no else "reg" + register_no


def _decision_token(number: str) -> str:
    return "dec" + re.sub(r"[\W_]", "", canonical_decision(number)).lower()


def _identifier_token(ident: Identifier) -> str:
    if ident.kind == "citizen_id":
        return f"cccd{ident.value}"
    if ident.kind == "phone":
        return f"tel{ident.value}"
    if ident.kind == "register_no":
        return _register_token(ident.value)
    return "dec" + re.sub(r"[\W_]", "", ident.value).lower()


def _names(doc: SearchDocument) -> str:
    return normalize(" ; ".join(n for n in [doc.sender or "", *doc.accused, doc.address or ""] if n))


def _quote(word: str) -> str:
    """An FTS5 string: quotes doubled, NUL dropped (FTS5 reads it as the end of the query: "unterminated string")."""
    return '"' + word.replace("\x00", "").replace('"', '""') + '"'


def _term_expr(term: Term, exact: bool) -> str:
    word = term.exact if exact and term.exact else term.folded
    return _quote(word) + ("*" if term.prefix else "")


def match_expression(parsed: ParsedQuery) -> str:
    """The FTS5 query for the folded (recall) match: every word, phrase and identifier must match."""
    parts = [_term_expr(t, exact=False) for t in parsed.terms]
    parts += [_quote(" ".join(t.folded for t in p.terms)) for p in parsed.phrases]
    words = " AND ".join(parts)
    clauses = [f"{{names_f body_f}} : ({words})"] if words else []
    clauses += [f"ids : {_quote(_identifier_token(i))}" for i in parsed.identifiers]
    return " AND ".join(clauses)


def exact_expression(parsed: ParsedQuery, columns: str = "names body") -> str | None:
    """The FTS5 query for the words typed with diacritics, as typed, or None when none was."""
    parts = [_term_expr(t, exact=True) for t in parsed.terms if t.exact]
    parts += [_quote(" ".join(t.exact or t.folded for t in p.terms)) for p in parsed.phrases if _accented(p)]
    if not parts:
        return None
    return f"{{{columns}}} : (" + " AND ".join(parts) + ")"


def names_expression(parsed: ParsedQuery) -> str | None:
    """The FTS5 query for every typed word being in a name: the sender's, an accused person's, the address."""
    words = [_term_expr(t, exact=False) for t in parsed.terms]
    return "names_f : (" + " AND ".join(words) + ")" if words else None


def adjacent_expression(parsed: ParsedQuery) -> str | None:
    """The FTS5 query for words typed together appearing together ("nguyen van thang" as a name, not three
    words scattered over the letter); None for a single word."""
    words = [t for t in parsed.terms if not t.prefix]
    if len(words) < 2:
        return None
    return "{names_f body_f} : " + _quote(" ".join(t.folded for t in words))


def ranking_levels(parsed: ParsedQuery) -> list[tuple[str, str]]:
    """(table, expression) pairs, narrowest first: a hit ranks by the first one it matches, then by bm25; every
    hit matches the last one (the query itself).

    The words as typed in a name (sender, accused, address), the words in a name, the words side by side, the
    words as typed anywhere, then anywhere. So "Nguyễn Văn Đức" lists letters from or about Nguyễn Văn Đức before those of Nguyễn Văn Dục, and
    both before letters that merely contain the three words. Names are asked of ``search_names``, whose posting
    lists are short."""
    main = match_expression(parsed)
    plain = not parsed.phrases and not parsed.identifiers
    accented = all(t.exact for t in parsed.terms)
    levels: list[tuple[str, str]] = []
    if plain:  # with phrases or identifiers a name match alone does not make a hit
        candidates = [
            ("search_names", exact_expression(parsed, "names") if accented else None),
            ("search_names", names_expression(parsed)),
            ("search_fts", adjacent_expression(parsed)),
            ("search_fts", exact_expression(parsed) if accented else None),
        ]
        levels += [(table, expression) for table, expression in candidates if expression]
    levels.append(("search_fts", main))
    return levels


def _accented(phrase: Phrase) -> bool:
    return any(t.exact for t in phrase.terms)


class FTS5Backend:
    """SQLite FTS5 search on ``url`` (a SQLAlchemy SQLite URL); see the module docstring."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ready = False

    # -- connections -------------------------------------------------------------------------------------
    @property
    def engine(self):  # noqa: ANN201 - sqlalchemy Engine
        return get_engine(self.url)

    def _ensure_schema(self, conn: Connection, *, committed: bool = True) -> None:
        """Create the tables when missing. In a caller's transaction (``committed`` False) a rollback may undo
        the creation, so the tables are only taken as ready once seen outside one."""
        if self._ready:
            return
        exists = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'search_docs'").first()
        if not exists:
            for statement in _SCHEMA:
                conn.exec_driver_sql(statement)
        self._ready = committed or bool(exists)

    def _write(self, session: Session | None, work) -> None:  # noqa: ANN001
        """Run ``work(conn)`` in the caller's transaction when it is on this database, else in our own."""
        if session is not None and str(session.get_bind().url) == str(self.engine.url):
            conn = session.connection()
            self._ensure_schema(conn, committed=False)
            work(conn)
            return
        with self.engine.execution_options(donthu_write=True).begin() as conn:
            self._ensure_schema(conn)
            work(conn)

    def _read(self):  # noqa: ANN202
        conn = self.engine.connect()
        if not self._ready:
            conn.close()
            with self.engine.execution_options(donthu_write=True).begin() as wconn:
                self._ensure_schema(wconn)
            conn = self.engine.connect()
        return conn

    # -- writes --------------------------------------------------------------------------------------------
    def index(self, docs: Sequence[SearchDocument], *, session: Session | None = None) -> None:
        if docs:
            self._write(session, lambda conn: self._upsert(conn, docs))

    def index_into(self, target: str, docs: Sequence[SearchDocument]) -> None:
        self.index(docs)

    def _upsert(self, conn: Connection, docs: Sequence[SearchDocument]) -> None:
        ids = [d.letter_id for d in docs]
        self._remove(conn, ids)
        rows = [self._fts_row(d) for d in docs]  # normalising and folding a letter's text is the costly part
        conn.execute(
            text("INSERT INTO search_fts (rowid, names, names_f, body, body_f, ids) "
                 "VALUES (:id, :names, :names_f, :body, :body_f, :ids)"),
            rows,
        )
        conn.execute(text("INSERT INTO search_names (rowid, names, names_f) VALUES (:id, :names, :names_f)"), rows)
        conn.execute(
            text("INSERT INTO search_docs (letter_id, register_no, received_date, sender, sender_key, type, agency, "
                 "field, status, channel, dossier_id, text_hash, doc) VALUES (:letter_id, :register_no, "
                 ":received_date, :sender, :sender_key, :type, :agency, :field, :status, :channel, :dossier_id, "
                 ":text_hash, :doc)"),
            [self._doc_row(d) for d in docs],
        )

    @staticmethod
    def _fts_row(doc: SearchDocument) -> dict[str, Any]:
        names = _names(doc)
        body = normalize(doc.text or "")
        return {"id": doc.letter_id, "names": names, "names_f": fold(names), "body": body, "body_f": fold(body),
                "ids": " ".join(identifier_tokens(doc))}

    @staticmethod
    def _doc_row(doc: SearchDocument) -> dict[str, Any]:
        data = doc.to_json()
        data.pop("text")  # the text is kept once, in the index's own content
        return {"letter_id": doc.letter_id, "register_no": doc.register_no,
                "received_date": doc.received_date.isoformat(), "sender": doc.sender,
                "sender_key": name_key(doc.sender) if doc.sender else None, "type": doc.type,
                "agency": doc.agency, "field": doc.field, "status": doc.status, "channel": doc.channel,
                "dossier_id": doc.dossier_id, "text_hash": doc.text_hash,
                "doc": json.dumps(data, ensure_ascii=False)}

    @staticmethod
    def _remove(conn: Connection, ids: list[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join(str(int(i)) for i in chunk)
            conn.exec_driver_sql(f"DELETE FROM search_fts WHERE rowid IN ({marks})")
            conn.exec_driver_sql(f"DELETE FROM search_names WHERE rowid IN ({marks})")
            conn.exec_driver_sql(f"DELETE FROM search_docs WHERE letter_id IN ({marks})")

    def delete(self, letter_ids: Iterable[int], *, session: Session | None = None) -> None:
        ids = [int(i) for i in letter_ids]
        if ids:
            self._write(session, lambda conn: self._remove(conn, ids))

    def clear(self) -> None:
        def work(conn: Connection) -> None:
            conn.exec_driver_sql("DELETE FROM search_fts")
            conn.exec_driver_sql("DELETE FROM search_names")
            conn.exec_driver_sql("DELETE FROM search_docs")

        self._write(None, work)

    def start_rebuild(self, resume: str | None = None) -> str:
        """FTS5 rebuilds in place: documents are replaced one batch at a time while queries go on."""
        return LIVE

    def finish_rebuild(self, target: str) -> None:
        def work(conn: Connection) -> None:
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES('optimize')")
            conn.exec_driver_sql("INSERT INTO search_names(search_names) VALUES('optimize')")

        self._write(None, work)

    def close(self) -> None:
        """Connections belong to the process-wide engine; nothing to release here."""

    # -- reads ---------------------------------------------------------------------------------------------
    def count(self) -> int:
        with self._read() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM search_docs").scalar() or 0)

    def ids(self) -> set[int]:
        with self._read() as conn:
            return {int(r[0]) for r in conn.exec_driver_sql("SELECT letter_id FROM search_docs")}

    def get(self, letter_id: int) -> SearchDocument | None:
        return self.get_many([letter_id]).get(letter_id)

    def get_many(self, letter_ids: Sequence[int]) -> dict[int, SearchDocument]:
        ids = [int(i) for i in letter_ids]
        if not ids:
            return {}
        marks = ",".join(str(i) for i in ids)
        with self._read() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT d.letter_id, d.doc, f.body FROM search_docs d JOIN search_fts f ON f.rowid = d.letter_id "
                f"WHERE d.letter_id IN ({marks})"
            ).all()
        docs: dict[int, SearchDocument] = {}
        for letter_id, data, body in rows:
            values = json.loads(data)
            values["text"] = body
            docs[int(letter_id)] = SearchDocument.from_json(values)
        return docs

    def same_text(self, text_hash: str, *, before_id: int | None = None) -> list[int]:
        sql = "SELECT letter_id FROM search_docs WHERE text_hash = :h"
        if before_id is not None:
            sql += " AND letter_id < :before"
        with self._read() as conn:
            rows = conn.execute(text(sql + " ORDER BY letter_id"), {"h": text_hash, "before": before_id}).all()
        return [int(r[0]) for r in rows]

    def query(self, query: SearchQuery) -> SearchResult:
        parsed = parse(query.text)
        where, params = self._filters(query)
        with self._read() as conn:
            if parsed.empty:
                return self._listing(conn, query, where, params)
            return self._search(conn, query, parsed, where, params)

    @staticmethod
    def _filters(query: SearchQuery) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        for name in _FILTERS:
            value = getattr(query, name)
            if value is not None:
                where.append(f"d.{name} = :{name}")
                params[name] = value
        if query.date_from:
            where.append("d.received_date >= :date_from")
            params["date_from"] = query.date_from.isoformat()
        if query.date_to:
            where.append("d.received_date <= :date_to")
            params["date_to"] = query.date_to.isoformat()
        return where, params

    def _listing(self, conn: Connection, query: SearchQuery, where: list[str], params: dict) -> SearchResult:
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        total = conn.execute(text(f"SELECT count(*) FROM search_docs d{clause}"), params).scalar() or 0
        rows = conn.execute(
            text(f"SELECT d.letter_id, d.register_no, d.sender, d.received_date, f.body FROM search_docs d "
                 f"JOIN search_fts f ON f.rowid = d.letter_id{clause} "
                 "ORDER BY d.received_date DESC, d.letter_id DESC LIMIT :limit OFFSET :offset"),
            {**params, "limit": query.limit, "offset": query.offset},
        ).all()
        empty = ParsedQuery()
        hits = [SearchHit(int(r[0]), r[1], 1.0, r[2], snippet(r[4], empty), date.fromisoformat(r[3])) for r in rows]
        return SearchResult(int(total), hits)

    def _search(self, conn: Connection, query: SearchQuery, parsed: ParsedQuery, where: list[str],
                params: dict) -> SearchResult:
        """Rank one page (see :func:`ranking_levels`), count the matches, then read the page's rows.

        bm25 over tens of thousands of matches is the slow part of FTS5, so levels are ranked one at a time,
        narrowest first, and the wider ones only when the narrower do not fill the page."""
        match = match_expression(parsed)
        clause = "".join(" AND " + w for w in where)
        join = "JOIN search_docs d ON d.letter_id = search_fts.rowid " if where or query.sort == "date" else ""
        base = f"FROM search_fts {join}WHERE search_fts MATCH :q{clause}"
        need = query.offset + query.limit
        if query.sort == "date":
            total = int(conn.execute(text(f"SELECT count(*) {base}"), {**params, "q": match}).scalar() or 0)
            sql = (f"SELECT search_fts.rowid, 0.0 {base} ORDER BY d.received_date DESC, d.letter_id DESC "
                   "LIMIT :limit OFFSET :offset")
            rows = conn.execute(text(sql), {**params, "q": match, "limit": query.limit, "offset": query.offset})
            page = [(int(r[0]), 0, 0.0) for r in rows]
            return SearchResult(total, self._hits(conn, page, parsed, query.sort))
        ranked: dict[int, tuple[int, float]] = {}  # letter id → (level, bm25)
        total: int | None = None
        levels = ranking_levels(parsed)
        for level, (table, expression) in enumerate(levels):
            if len(ranked) >= need:
                break
            join_level = join.replace("search_fts.rowid", f"{table}.rowid")
            weights = f", {_WEIGHTS}" if table == "search_fts" else ""
            sql = (f"SELECT {table}.rowid, bm25({table}{weights}) AS rank FROM {table} {join_level}"
                   f"WHERE {table} MATCH :q{clause} ORDER BY rank, {table}.rowid DESC LIMIT :k")
            rows = conn.execute(text(sql), {**params, "q": expression, "k": need + len(ranked)}).all()
            if level == len(levels) - 1 and len(rows) < need + len(ranked):
                total = len({*ranked, *(int(r[0]) for r in rows)})  # the query's every match is in hand
            for rowid, rank in rows:
                ranked.setdefault(int(rowid), (level, float(rank)))
        if total is None:
            total = int(conn.execute(text(f"SELECT count(*) {base}"), {**params, "q": match}).scalar() or 0)
        page = [(i, level, rank) for i, (level, rank) in list(ranked.items())[query.offset : need]]
        return SearchResult(total, self._hits(conn, page, parsed, query.sort))

    def _hits(self, conn: Connection, page: list, parsed: ParsedQuery, sort: str) -> list[SearchHit]:
        if not page:
            return []
        marks = ",".join(str(int(r[0])) for r in page)
        rows = {int(r[0]): r for r in conn.exec_driver_sql(
            f"SELECT d.letter_id, d.register_no, d.sender, d.received_date, f.body, f.body_f FROM search_docs d "
            f"JOIN search_fts f ON f.rowid = d.letter_id WHERE d.letter_id IN ({marks})")}
        hits: list[SearchHit] = []
        first_level, best = (page[0][1], -page[0][2] or 1.0) if page else (0, 1.0)
        for letter_id, level, rank in page:
            _, register_no, sender, received, body, body_f = rows[int(letter_id)]
            # bm25 is negative, better is lower; each level further from the best hit's halves the score
            score = 1.0 if sort == "date" else round(min(1.0, -rank / best) * 0.5 ** (level - first_level), 4)
            hits.append(SearchHit(int(letter_id), register_no, score, sender, snippet(body, parsed, folded=body_f),
                                  date.fromisoformat(received)))
        return hits

    # -- duplicates ----------------------------------------------------------------------------------------
    def more_like_this(self, doc: SearchDocument, *, limit: int = 20, before_id: int | None = None) -> list[int]:
        """Candidates by two routes, interleaved best first: the same person or facts (sender's name, phone,
        citizen ID, decision numbers, accused) and the most distinctive words of the text."""
        with self._read() as conn:
            routes = [
                self._identity_candidates(conn, doc, limit, before_id),
                self._distinctive_candidates(conn, doc, limit, before_id),
            ]
        merged: dict[int, None] = {}
        for i in range(max(len(r) for r in routes)):
            for route in routes:
                if i < len(route) and route[i] != doc.letter_id:
                    merged.setdefault(route[i], None)
        return list(merged)[: 2 * limit]

    def _ranked_ids(self, conn: Connection, expression: str, limit: int, before_id: int | None,
                    exclude: int) -> list[int]:
        if not expression:
            return []
        sql = "SELECT rowid FROM search_fts WHERE search_fts MATCH :q AND rowid != :me"
        if before_id is not None:
            sql += " AND rowid < :before"
        sql += f" ORDER BY bm25(search_fts, {_WEIGHTS}) LIMIT :limit"
        rows = conn.execute(text(sql), {"q": expression, "me": exclude, "before": before_id, "limit": limit}).all()
        return [int(r[0]) for r in rows]

    def _identity_candidates(self, conn: Connection, doc: SearchDocument, limit: int,
                             before_id: int | None) -> list[int]:
        """Letters of the same person (the sender's name by its folded key, the name as written first; a phone or
        citizen ID) or naming the same accused, newest first."""
        before = "" if before_id is None else " AND letter_id < :before"
        ids: list[int] = []
        if doc.sender:
            ids += [int(r[0]) for r in conn.execute(
                text(f"SELECT letter_id FROM search_docs WHERE sender_key = :k AND letter_id != :me{before} "
                     "ORDER BY sender = :written DESC, letter_id DESC LIMIT :limit"),
                {"k": name_key(doc.sender), "written": doc.sender, "me": doc.letter_id, "before": before_id,
                 "limit": limit})]
        parts = [f"ids : {_quote(t)}" for t in identifier_tokens(doc) if not t.startswith("reg")]
        parts += ["names_f : " + _quote(fold(name)) for name in doc.accused]
        ids += self._ranked_ids(conn, " OR ".join(parts), limit, before_id, doc.letter_id)
        return list(dict.fromkeys(ids))

    def _distinctive_candidates(self, conn: Connection, doc: SearchDocument, limit: int,
                                before_id: int | None) -> list[int]:
        # the document's own keywords when the pipeline chose them; else ask the index which words are rare
        words = [fold(w) for w in doc.facts.get("keywords") or []]
        if not words:
            indexed = conn.execute(text("SELECT 1 FROM search_docs WHERE letter_id = :i"),
                                   {"i": doc.letter_id}).first()
            words = distinctive_words(conn, fold(normalize(doc.text or "")), seen_once=1 if indexed else 0)
        if not words:
            return []
        expression = "body_f : (" + " OR ".join(_quote(w) for w in words) + ")"
        return self._ranked_ids(conn, expression, limit, before_id, doc.letter_id)


_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def distinctive_words(conn: Connection, folded_text: str, *, seen_once: int = 0) -> list[str]:
    """The letter's words that are rare in the index, most distinctive first (tf·idf). ``seen_once`` is 1 when
    the letter itself is indexed: a word only it contains finds nothing else."""
    counts: dict[str, int] = {}
    for word in _TOKEN.findall(folded_text):
        if len(word) > 1 and not word.isdigit():
            counts[word] = counts.get(word, 0) + 1
    if not counts:
        return []
    total = int(conn.exec_driver_sql("SELECT count(*) FROM search_docs").scalar() or 0)
    df: dict[str, int] = {}
    words = list(counts)
    for start in range(0, len(words), 400):
        chunk = words[start : start + 400]
        marks = ",".join("?" * len(chunk))
        for term, docs in conn.exec_driver_sql(
            f"SELECT term, doc FROM search_vocab WHERE term IN ({marks})", tuple(chunk)
        ):
            df[term] = max(df.get(term, 0), int(docs))
    ceiling = max(2, int(total * _MLT_COMMON))
    usable = [w for w in words if seen_once < df.get(w, 0) <= ceiling]
    usable.sort(key=lambda w: -counts[w] * math.log((total + 1) / df[w]))
    return usable[:_MLT_TERMS]

"""Choose the search backend from ``DONTHU_SEARCH_URL``: ``fts5:`` (default) or ``http(s)://…`` (Elasticsearch)."""

from __future__ import annotations

from core.settings import Settings
from models.session import is_sqlite
from search.base import SearchBackend


def fts5_url(settings: Settings) -> str:
    """The SQLite database that holds the FTS5 index: the application's own when it is SQLite."""
    if is_sqlite(settings.database_url):
        return settings.database_url
    return f"sqlite:///{(settings.data_dir / 'search.sqlite3').resolve()}"


def open_backend(settings: Settings) -> SearchBackend:
    url = settings.search_url.strip()
    if url in ("", "fts5:", "fts5"):
        from search.fts5 import FTS5Backend

        return FTS5Backend(fts5_url(settings))
    if url.startswith(("http://", "https://")):
        from search.elastic import ElasticBackend

        return ElasticBackend(url)
    raise ValueError(f"DONTHU_SEARCH_URL must be 'fts5:' or an http(s):// Elasticsearch URL, got {url!r}")

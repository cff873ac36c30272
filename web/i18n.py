"""Interface languages. Vietnamese is the default and the source language: the message ids are the Vietnamese
strings themselves, so Vietnamese needs no catalog. English comes from ``web/translations/en``.

The language is chosen with ``?lang=vi|en`` (remembered in the session, kept across log in and log out), never from
the browser's Accept-Language: the office works in Vietnamese whatever the browser says.

The compiled catalogs (``.mo``) are not kept in the repository: each ``.po`` is compiled when the app starts if its
``.mo`` is missing or older; a read-only install compiles into a temporary directory instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language
DEFAULT = "vi"
SESSION_KEY = "lang"
PRIVATE_ARGS = frozenset({"lang", "q"})  # the search text is echoed in the search form only (it may name a denouncer)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

_compiled: dict[Path, Path] = {}  # source directory -> directory holding the compiled catalogs (per process)


def select_locale() -> str:
    """The choice made with ``?lang=`` (this request or an earlier one of the session), else Vietnamese."""
    choice = session.get(SESSION_KEY)
    return choice if choice in LANGUAGES else DEFAULT


def remember_choice() -> None:
    choice = request.args.get("lang")
    if choice in LANGUAGES and session.get(SESSION_KEY) != choice:
        session[SESSION_KEY] = choice


def lang_url(code: str) -> str:
    """The current page in another language: same path and arguments (but the search text), ``lang`` replaced."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in PRIVATE_ARGS]
    return request.path + "?" + urlencode([*args, ("lang", code)])


def _compile(po: Path, mo: Path) -> None:
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    mo.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=mo.parent, prefix=f".{mo.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog, use_fuzzy=False)
        os.chmod(temp, 0o644)  # mkstemp makes it private; the catalog is no secret and other users may serve it
        os.replace(temp, mo)  # atomic: another worker starting at the same time reads the old or the new file
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def compile_catalogs(source: Path = TRANSLATIONS) -> Path:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under ``source`` whose ``.mo`` is missing or stale; returns the
    directory to load translations from (``source`` itself, or a temporary copy when ``source`` is read-only)."""
    if source in _compiled:
        return _compiled[source]
    catalogs = sorted(source.glob("*/LC_MESSAGES/*.po"))
    try:
        for po in catalogs:
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime <= po.stat().st_mtime:
                _compile(po, mo)
        target = source
    except OSError:  # a read-only install: compile the whole set elsewhere
        target = Path(tempfile.mkdtemp(prefix="donthu-translations-"))
        for po in catalogs:
            _compile(po, target / po.relative_to(source).with_suffix(".mo"))
    _compiled[source] = target
    return target


def init_i18n(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compile_catalogs()))
    Babel(app, locale_selector=select_locale)
    app.before_request(remember_choice)
    app.jinja_env.globals.update(languages=LANGUAGES, lang_url=lang_url)

    @app.context_processor
    def _locale() -> dict[str, str]:
        return {"current_locale": str(get_locale() or DEFAULT)}

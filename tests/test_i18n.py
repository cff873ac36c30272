"""Interface languages: Vietnamese by default (whatever the browser asks for), English on request with ``?lang=``,
remembered in the session; the English catalog covers every string the code marks for translation."""

from __future__ import annotations

import io
import os
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import render_template_string
from flask.testing import FlaskClient

from core.deadlines import DECISION_LABELS
from ingest.services import Services
from web import i18n, labels
from web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "web" / "translations"
ENGLISH = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")
TYPED = "Kính gửi: Tỉnh ủy\nTôi là Vũ Thị Thanh Hà, phản ánh tình trạng ô nhiễm tại xóm Bến.\n"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client: FlaskClient, password: str = "admin-pass-1"):  # noqa: ANN202
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": "admin@donthu.local", "password": password, "csrf_token": _csrf(page)})


def _text(client: FlaskClient, url: str, **kwargs) -> str:  # noqa: ANN003
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def _catalog():  # noqa: ANN202
    with ENGLISH.open("rb") as source:
        return read_po(source, locale="en")


# -- choosing the language --------------------------------------------------------------------------------------


def test_login_page_is_vietnamese_even_when_the_browser_asks_for_english(client: FlaskClient) -> None:
    html = _text(client, "/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="vi">' in html and "<h1>Đăng nhập</h1>" in html and "Mật khẩu" in html
    assert "Log in" not in html and "Password" not in html
    assert 'href="/login?lang=en"' in html  # the switch to English


def test_lang_en_switches_login_dashboard_and_nav_and_the_choice_sticks(client: FlaskClient) -> None:
    html = _text(client, "/login?lang=en", headers={"Accept-Language": "vi-VN,vi"})
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html and "Password" in html
    assert "Đăng nhập" not in html and "Mật khẩu" not in html
    assert "Log in" in _text(client, "/login")  # no ?lang= this time: the session remembers

    response = _login(client)  # a new session on login keeps the language
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    home = _text(client, "/dashboard")
    assert '<html lang="en">' in home
    for english in ("<h1>Dashboard", "Letters waiting for review", "Case files by status", "My work", ">Letters</a>",
                    ">Case files</a>", ">Search</a>", ">Admin</a>", "Log out", "Admin</span>"):
        assert english in home, english
    for vietnamese in ("Tổng quan", "Danh sách đơn", "Đăng xuất", "Việc của tôi"):
        assert vietnamese not in home, vietnamese
    # the lazy labels follow the language: letter statuses on the dashboard, types and channels in the lists
    assert "Recognised" in home and "Newly opened" in home and "Đã nhận dạng" not in home
    assert "All letter types" in _text(client, "/search") and "Denunciation" in _text(client, "/search")

    html = _text(client, "/dashboard?lang=vi")
    assert '<html lang="vi">' in html and "<h1>Tổng quan" in html and "Đăng xuất" in html and "Log out" not in html
    assert ">Hồ sơ</a>" in html and ">Quản trị</a>" in html
    assert "Danh sách đơn" in _text(client, "/letters")  # Vietnamese again, and it sticks


def test_logging_out_keeps_the_language(client: FlaskClient) -> None:
    _text(client, "/login?lang=en")
    _login(client)
    home = _text(client, "/dashboard")
    response = client.post("/logout", data={"csrf_token": _csrf(home)})
    assert response.status_code == 302
    assert "<h1>Log in</h1>" in _text(client, "/login")


def test_flash_messages_are_translated(client: FlaskClient) -> None:
    _text(client, "/login?lang=en")
    response = _login(client, password="wrong")
    assert response.status_code == 401 and "Wrong email or password." in response.get_data(as_text=True)
    client.get("/login?lang=vi")
    assert "Email hoặc mật khẩu không đúng." in _login(client, password="wrong").get_data(as_text=True)


def test_the_switch_keeps_the_page_and_its_arguments(client: FlaskClient) -> None:
    _login(client)
    html = _text(client, "/letters?status=received&page=1")
    assert 'href="/letters?status=received&amp;page=1&amp;lang=en"' in html
    assert '<b lang="vi" aria-current="true">Tiếng Việt</b>' in html
    html = _text(client, "/letters?status=received&lang=en")
    assert 'href="/letters?status=received&amp;lang=vi"' in html and 'lang="en" aria-current="true">English' in html
    html = _text(client, "/search?q=Tr%E1%BA%A7n+Th%E1%BB%8B+M%E1%BA%ADt&type=to_cao")
    assert 'href="/search?type=to_cao&amp;lang=vi"' in html  # the search text stays in the search form only


def test_an_unknown_language_is_ignored(client: FlaskClient) -> None:
    html = _text(client, "/login?lang=fr")
    assert '<html lang="vi">' in html and "<h1>Đăng nhập</h1>" in html


def test_dates_stay_dd_mm_yyyy_in_english(client: FlaskClient) -> None:
    _text(client, "/login?lang=en")
    _login(client)
    home = _text(client, "/dashboard")
    assert f"for {date.today():%d/%m/%Y}" in home
    form = _text(client, "/letters/upload")
    assert f'value="{date.today():%d/%m/%Y}"' in form and "Register and process" in form
    response = client.post("/letters/upload", data={
        "csrf_token": _csrf(form), "channel": "in_person", "received": "09/04/2026",
        "files": [(io.BytesIO(TYPED.encode()), "mot.txt")]}, content_type="multipart/form-data")
    assert response.status_code == 200 and "register no. 0001/2026" in response.get_data(as_text=True)
    listing = _text(client, "/letters")
    assert "<td>09/04/2026</td>" in listing and "Handed in" in listing and "Register no." in listing


# -- labels ------------------------------------------------------------------------------------------------------


def test_labels_render_in_the_chosen_language_and_are_plain_vietnamese_elsewhere(svc: Services) -> None:
    assert str(labels.TYPE["to_cao"]) == "Tố cáo" and labels.STATUS.get("failed") == "Lỗi"  # outside a request
    app = create_app(svc.settings)
    page = ("{{ labels.TYPE.get('to_cao', 'to_cao') }}|"
            "{{ [labels.TYPE['khieu_nai'], labels.FIELD['khac']] | join(', ') }}")
    with app.test_request_context("/"):
        assert render_template_string(page) == "Tố cáo|Khiếu nại, Khác"
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert render_template_string(page) == "Denunciation|Complaint, Other"
        from web.dossiers import _vi

        assert _vi(labels.TYPE["to_cao"]) == "Tố cáo"  # printed documents stay Vietnamese
        assert type(_vi(labels.CHANNEL["post"])) is str


def test_decision_labels_match_the_deadline_rules() -> None:
    assert {code: str(label) for code, label in labels.DECISION.items()} == DECISION_LABELS


# -- the catalog -------------------------------------------------------------------------------------------------


def test_every_english_message_is_translated() -> None:
    catalog = _catalog()
    assert not catalog.fuzzy
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated and not fuzzy, (untranslated, fuzzy)
    for message in catalog:
        if message.id:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id
    assert len([m for m in catalog if m.id]) > 300


def test_every_marked_string_is_in_the_english_catalog() -> None:
    with (TRANSLATIONS / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}
    found = {(context, message) for _file, _line, message, _comments, context
             in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    assert len(found) > 300  # the extraction did see the templates and the views
    catalog = {(m.context, m.id) for m in _catalog() if m.id}
    assert not found - catalog, sorted(found - catalog)


def test_catalogs_compile_when_stale_and_into_a_temporary_directory_when_read_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "translations"
    (source / "en" / "LC_MESSAGES").mkdir(parents=True)
    po = source / "en" / "LC_MESSAGES" / "messages.po"
    po.write_bytes(ENGLISH.read_bytes())
    monkeypatch.setattr(i18n, "_compiled", {})
    assert i18n.compile_catalogs(source) == source
    mo = po.with_suffix(".mo")
    assert mo.stat().st_size > 1000 and mo.stat().st_mode & 0o444 == 0o444
    compiled_at = mo.stat().st_mtime_ns
    os.utime(po, (po.stat().st_mtime - 10, po.stat().st_mtime - 10))
    monkeypatch.setattr(i18n, "_compiled", {})
    i18n.compile_catalogs(source)
    assert mo.stat().st_mtime_ns == compiled_at  # up to date: left alone
    mo.write_bytes(b"stale")
    os.utime(mo, (po.stat().st_mtime - 10, po.stat().st_mtime - 10))  # older than the .po
    monkeypatch.setattr(i18n, "_compiled", {})
    i18n.compile_catalogs(source)
    assert mo.stat().st_size > 1000

    mo.unlink()
    real = i18n._compile

    def read_only(po_file: Path, mo_file: Path) -> None:
        if source in mo_file.parents:
            raise PermissionError(13, "Read-only file system", str(mo_file))
        real(po_file, mo_file)

    monkeypatch.setattr(i18n, "_compile", read_only)
    monkeypatch.setattr(i18n, "_compiled", {})
    target = i18n.compile_catalogs(source)
    assert target != source and (target / "en" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000
    assert not mo.exists()

"""Stored XSS, checked in a real browser: payloads planted in a letter's text (read by the workers) and in its
corrected page text, in an uploaded file's name, in an agency's name, a user's full name, dossier notes, summaries
and attachments, reception visit fields and the search box; then every page that shows them is opened in headless
Chromium with the Content-Security-Policy switched off, so that escaping alone must keep them inert: no dialog
opens, no payload sets its window flag, no injected element is in the page, and the payload is shown as text.
A last pass with the policy on checks that our own pages break none of it."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser import PASSWORD, browser, running_donthu  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.browser


def payload(tag: str) -> str:
    """Every way out of text and attributes at once; each sets ``window.__xss`` or opens a dialog if it runs."""
    return (f"{tag} \"'><script>window.__xss='{tag}'</script><img src=x onerror=alert('{tag}')>"
            f"<svg onload=\"window.__xss='{tag}'\"> javascript:alert('{tag}')")


FILE_NAME = "\"><img src=x onerror=alert('file')><svg onload=alert('file')>.txt"  # a file name has no "/"
LETTER = ("ĐƠN KHIẾU NẠI\nKính gửi: Chủ tịch UBND tỉnh\nTôi là Phạm Văn Khánh, trú tại thôn Phú Sơn.\n"
          "Tôi khiếu nại Quyết định số 1234/QĐ-UBND về việc thu hồi đất, mức bồi thường quá thấp.\n"
          f"{payload('ocr')}\nĐề nghị hủy quyết định.\nNgười khiếu nại\nPhạm Văn Khánh\n")
INJECTED = ("script:not([src]), img[src='x'], svg[onload], [onerror], [onload]:not(body), a[href^='javascript:'], "
            "iframe, object, embed")
WATCH = """
window.__dialogs = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp = (window.__csp || []).concat([e.violatedDirective + ' ' + e.blockedURI]);
});
"""


@pytest.fixture
def xss_system(tmp_path: Path, trained_models: Path) -> Iterator[str]:
    """``donthu run`` as in test_browser, on a data dir that already holds the trained classifier (no 10 s of
    training at start)."""
    data = tmp_path / "data"
    shutil.copytree(trained_models, data / "models")
    with running_donthu(tmp_path, data, workers=1) as url:
        yield url


def _context(chromium: Any, base: str, *, bypass_csp: bool) -> tuple[Any, Any, list[str]]:  # noqa: ANN401
    context = chromium.new_context(base_url=base, bypass_csp=bypass_csp, viewport={"width": 1300, "height": 900})
    context.add_init_script(WATCH)
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto("/login")
    page.fill("input[name=email]", "admin@donthu.local")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/dashboard$"))
    return context, page, dialogs


def _csrf(page: Any) -> str:  # noqa: ANN401
    html = page.request.get("/dashboard").text()
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _post(page: Any, url: str, **form: str) -> None:  # noqa: ANN401
    response = page.request.post(url, form={"csrf_token": _csrf(page), **form}, max_redirects=0)
    assert response.status in (200, 201, 302), (url, response.status, response.text()[:500])


def _wait_read(page: Any, letter_id: int) -> None:  # noqa: ANN401
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        info = page.request.get(f"/api/v1/letters/{letter_id}/status").json()
        if info["status"] == "ocr_done" and info["stages_done"]:
            return
        assert info["status"] != "failed", info
        time.sleep(0.3)
    pytest.fail(f"letter {letter_id} was not read within 60 s")


def _upload_through_the_page(page: Any) -> int:  # noqa: ANN401
    """The real upload page: its script shows the chosen file's name and the outcome."""
    page.goto("/letters/upload")
    page.set_input_files("input[name=files]", files=[{"name": FILE_NAME, "mimeType": "text/plain",
                                                      "buffer": LETTER.encode()}])
    page.click("button:has-text('Vào sổ và xử lý')")
    page.wait_for_selector("#uploads li a[href^='/letters/']", timeout=30_000)
    assert FILE_NAME in page.locator("#uploads li .filename").inner_text()
    href = page.locator("#uploads li a[href^='/letters/']").first.get_attribute("href")
    return int(re.search(r"/letters/(\d+)", href).group(1))


def _plant(page: Any) -> dict[str, Any]:  # noqa: ANN401
    """Every payload in place, through the app's own forms; returns the ids of what holds them."""
    letter_id = _upload_through_the_page(page)
    queued = page.request.post("/letters/upload", headers={"Accept": "application/json"}, multipart={
        "csrf_token": _csrf(page), "channel": "post",
        "files": {"name": "cho-duyet.txt", "mimeType": "text/plain",
                  "buffer": LETTER.replace("Phạm Văn Khánh", "Lê Thị Hoa").encode()}}).json()
    waiting_id = queued["letters"][0]["letter_id"]
    admin_id = page.request.get("/api/v1/me").json()["id"]
    _post(page, f"/admin/users/{admin_id}", full_name=payload("name")[:200], role="admin", agency_id="", active="1")
    _post(page, "/admin/agencies", code="XSS_TEST", name=payload("agency")[:200], description=payload("desc"),
          sort_order="0", active="1")
    # and the handler agency the letter goes to: its name is shown on the dossier, the review form and the report
    agencies = page.request.get("/admin/agencies").text()
    ubnd = re.search(r'data-agency-id="(\d+)"(?:(?!</tr>).)*?<code>UBND_TINH</code>', agencies, re.S)
    _post(page, f"/admin/agencies/{ubnd.group(1)}", name=payload("handler")[:200], description="", sort_order="0",
          active="1")
    _wait_read(page, letter_id)
    _wait_read(page, waiting_id)
    _post(page, f"/letters/{letter_id}/pages/0/text", text=LETTER + payload("edited"))
    _post(page, f"/letters/{letter_id}/review", type="khieu_nai", agency="UBND_TINH", field="dat_dai",
          dossier_choice="new", decision="thu_ly", note=payload("review"), action="save")
    dossier_id = page.request.get(f"/api/v1/letters/{letter_id}").json()["dossier_id"]
    assert dossier_id
    _post(page, f"/dossiers/{dossier_id}/note", text=payload("note"))
    _post(page, f"/dossiers/{dossier_id}/summary", summary=payload("summary"))
    attached = page.request.post(f"/dossiers/{dossier_id}/attachments", max_redirects=0, multipart={
        "csrf_token": _csrf(page), "kind": "reply", "note": payload("attnote"),
        "file": {"name": FILE_NAME.replace(".txt", ".pdf"), "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"}})
    assert attached.status == 302
    held = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")
    page.request.post("/reception", form={"csrf_token": _csrf(page), "held_on": held, "kind": "routine",
                                          "leader": payload("leader"), "place": payload("place")})
    reception = page.request.get("/reception").text()
    session_id = int(re.search(r'href="/reception/(\d+)"', reception).group(1))
    _post(page, f"/reception/{session_id}/visits", delegation="0", headcount="1", name=payload("visitor")[:200],
          address=payload("address")[:300], phone="0905 000 111", content=payload("content"), type="khieu_nai",
          field="dat_dai", conclusion=payload("conclusion"))
    return {"letter": letter_id, "waiting": waiting_id, "dossier": dossier_id, "session": session_id,
            "admin": admin_id}


def _pages(ids: dict[str, Any]) -> dict[str, str | None]:
    """Each page that shows a payload, with the tag whose text it must show (None: only check nothing runs)."""
    year = date.today().year
    return {
        "/dashboard": "name", "/letters": None, f"/letters/{ids['letter']}": "edited",
        f"/letters/{ids['letter']}/review": "edited", f"/letters/{ids['waiting']}/review": "ocr",
        f"/letters/{ids['letter']}/compare/{ids['waiting']}": "ocr", "/review": None,
        "/dossiers": None, f"/dossiers/{ids['dossier']}": "note", f"/dossiers/{ids['dossier']}#handler": "handler",
        "/search?q=" + payload("query"): None, "/search?q=b%E1%BB%93i+th%C6%B0%E1%BB%9Dng": None,
        "/search?agency=XSS_TEST": None, f"/reception/{ids['session']}": "conclusion", "/reception": "leader",
        "/admin/users": "name", f"/admin/users/{ids['admin']}": None, "/admin/agencies": "agency",
        "/followup": None, f"/reports?kind=year&year={year}": "handler", "/notifications": None,
    }


def _check(page: Any, dialogs: list[str], url: str, shown: str | None) -> list[str]:  # noqa: ANN401
    page.goto(url)
    page.wait_for_load_state("load")
    problems = []
    if page.evaluate("window.__xss"):
        problems.append(f"{url}: a payload ran ({page.evaluate('window.__xss')})")
    if dialogs:
        problems.append(f"{url}: dialogs {dialogs}")
        dialogs.clear()
    injected = page.evaluate(f"Array.from(document.querySelectorAll({INJECTED!r})).map(e => e.outerHTML)")
    if injected:
        problems.append(f"{url}: injected elements {injected[:3]}")
    if shown and f"<script>window.__xss='{shown}'</script>" not in page.inner_text("body"):
        problems.append(f"{url}: the {shown} payload is not shown as text")
    return problems


def test_payloads_stay_text_on_every_page_that_shows_them(xss_system: str, browser: Any) -> None:  # noqa: ANN401, F811
    started = time.monotonic()
    context, page, dialogs = _context(browser, xss_system, bypass_csp=True)  # escaping alone must hold
    ids = _plant(page)
    pages = _pages(ids)
    report = page.request.get(f"/reports?kind=year&year={date.today().year}").text()
    drills = sorted(set(re.findall(r'href="(/reports/drill\?[^"]+)"', report)))[:6]
    assert drills, "the report links its cells to the letters behind them"
    pages.update({d.replace("&amp;", "&"): None for d in drills})
    problems = [p for url, shown in pages.items() for p in _check(page, dialogs, url, shown)]
    assert not problems, "\n".join(problems)
    # the search box gives the query back in its value, as text
    page.goto("/search?q=" + payload("query"))
    assert page.input_value("input[name=q]") == payload("query")
    context.close()

    # with the policy on: our own pages run no inline code the policy would have to block
    context, page, dialogs = _context(browser, xss_system, bypass_csp=False)
    for url in ("/dashboard", f"/letters/{ids['letter']}/review", f"/dossiers/{ids['dossier']}", "/letters/upload",
                f"/reception/{ids['session']}", "/search?q=" + payload("query")):
        assert not _check(page, dialogs, url, None), url
        assert not page.evaluate("window.__csp"), (url, page.evaluate("window.__csp"))
    assert page.evaluate("typeof htmx") == "object"  # the vendored script still loads under the policy
    context.close()
    assert time.monotonic() - started < 60

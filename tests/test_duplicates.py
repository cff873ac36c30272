"""Duplicate detection: how two letters are judged, the pipeline stage, and the CLI's exact shapes."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from classify import matter
from classify.extract import extract
from ingest.dispatch import dispatch_new_letter
from ingest.intake import register_file
from ingest.services import Services
from models import Letter
from web.cli import main as cli

FIRST = """ĐƠN KHIẾU NẠI
Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên

Tôi tên là: Nguyễn Văn Thắng, sinh năm 1963
Địa chỉ thường trú: xóm Cầu Đá, xã Phú Bình, tỉnh Thái Nguyên

Tôi khiếu nại Quyết định số 1877/QĐ-UBND ngày 14/8/2025 phê duyệt phương án bồi thường khi Nhà nước thu hồi đất
thực hiện dự án Khu dân cư Cầu Đá. Gia đình tôi bị thu hồi 540 m² đất tại thửa số 112, tờ bản đồ số 18, được bồi
thường 1.146.800.000 đồng. Đơn giá đất ở 4.200.000 đồng/m² thấp hơn nhiều so với giá thị trường.
Đề nghị xem xét lại giá đất bồi thường cho gia đình tôi.

Phú Bình, ngày 20 tháng 10 năm 2025
Người khiếu nại
Nguyễn Văn Thắng"""

RESEND = """ĐƠN KHIẾU NẠI (gửi lại lần 2)
Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên

Tôi là Nguyễn Văn Thắng, xóm Cầu Đá, xã Phú Bình.
Ngày 20/10/2025 tôi đã gửi đơn khiếu nại phương án bồi thường theo Quyết định 1877/QĐ-UBND khi thu hồi đất làm Khu
dân cư Cầu Đá nhưng đến nay chưa được trả lời. Gia đình tôi mất 540 m² đất thửa số 112 mà chỉ được bồi thường
1.146.800.000 đồng, giá đất quá thấp so với thực tế. Nay đơn vị thi công đã san gạt đất vườn nhà tôi.
Kính đề nghị giải quyết sớm.

Phú Bình, ngày 24 tháng 11 năm 2025
Nguyễn Văn Thắng"""

OTHER_MATTER = """ĐƠN KHIẾU NẠI
Kính gửi: Chủ tịch Ủy ban nhân dân xã Phú Bình

Tôi là Nguyễn Văn Thắng, trú tại xóm Cầu Đá, xã Phú Bình, tỉnh Thái Nguyên.
Ngày 03/9/2025, Chủ tịch UBND xã ban hành Quyết định số 95/QĐ-XPHC xử phạt tôi 7.500.000 đồng vì dựng lán khung
thép 36 m² trên ruộng để cất máy cày, máy gặt. Lán không có tường, không dùng để ở. Tôi đề nghị hủy quyết định xử
phạt và cho giữ lại lán trong mùa vụ.

Phú Bình, ngày 15 tháng 9 năm 2025
Nguyễn Văn Thắng"""

NEIGHBOUR = """ĐƠN KHIẾU NẠI
Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh Thái Nguyên

Tôi là Trần Văn Mạnh, xóm Cầu Đá, xã Phú Bình.
Tôi khiếu nại Quyết định số 1877/QĐ-UBND ngày 14/8/2025 phê duyệt phương án bồi thường thu hồi đất dự án Khu dân
cư Cầu Đá. Đơn giá đất ở 4.200.000 đồng/m² thấp hơn nhiều giá thị trường; gia đình tôi bị thu hồi 300 m² đất ở
thửa số 115, tờ bản đồ số 18, được bồi thường quá thấp. Đề nghị xem xét lại giá đất bồi thường.

Phú Bình, ngày 28 tháng 10 năm 2025
Người khiếu nại
Trần Văn Mạnh"""


def _judge(new: str, old: str) -> matter.Judgement | None:
    a, b = extract(new), extract(old)
    facts_a, facts_b = matter.matter_facts(new, a), matter.matter_facts(old, b)
    similarity = matter.cosine(matter.term_vector(new, a.sender), matter.term_vector(old, b.sender))
    return matter.judge(matter.compare(facts_a, facts_b, similarity))


def test_a_rewritten_resend_by_the_same_sender_is_a_repeat_with_reasons() -> None:
    verdict = _judge(RESEND, FIRST)
    assert verdict is not None and verdict.kind == "repeat" and verdict.score >= 0.75
    assert "cùng người gửi" in verdict.reasons
    assert "cùng quyết định 1877/QĐ-UBND" in verdict.reasons
    assert any(r.startswith("nội dung giống") for r in verdict.reasons)
    assert "đơn ghi là gửi lại" in verdict.reasons


def test_a_different_matter_of_the_same_sender_is_shown_but_not_a_repeat() -> None:
    verdict = _judge(OTHER_MATTER, FIRST)
    assert verdict is not None and verdict.kind == "same_sender"
    assert "khác số quyết định" in verdict.reasons


def test_the_same_matter_from_another_sender_is_not_a_repeat() -> None:
    verdict = _judge(NEIGHBOUR, FIRST)
    assert verdict is None or verdict.kind == "same_matter"


def test_one_phone_number_makes_one_person_even_when_the_name_is_misread() -> None:
    new = {"sender": "nguyen van thanq", "phones": ["912345678"], "decisions": ["1877/QĐ-UBND"], "marker": True}
    old = {"sender": "nguyen van thang", "phones": ["912345678"], "decisions": ["1877/QĐ-UBND"]}
    evidence = matter.compare(new, old, 0.6)
    assert evidence.same_person == ["phone"] and matter.judge(evidence).kind == "repeat"


def test_conflicting_decisions_lower_the_matter_score() -> None:
    same = matter.compare({"decisions": ["1/QĐ-UBND"]}, {"decisions": ["1/QĐ-UBND"]}, 0.4)
    other = matter.compare({"decisions": ["1/QĐ-UBND"]}, {"decisions": ["2/QĐ-UBND"]}, 0.4)
    assert other.conflict and not same.conflict
    assert matter.matter_probability(other) < matter.matter_probability(same)


def _ingest(svc: Services, text: str, name: str) -> int:
    result = register_file(svc, text.encode(), name)
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    return result.letter_id


def test_the_pipeline_indexes_and_stores_candidates_among_earlier_letters_only(svc: Services) -> None:
    first = _ingest(svc, FIRST, "first.txt")
    other = _ingest(svc, OTHER_MATTER, "other.txt")
    resend = _ingest(svc, RESEND, "resend.txt")
    with svc.db.read() as session:
        letters = {i: session.get(Letter, i) for i in (first, other, resend)}
    assert all(letters[i].stages["index"]["status"] == "done" for i in letters)
    assert all(letters[i].stages["duplicates"]["status"] == "done" and letters[i].stages_done for i in letters)
    assert letters[first].duplicates == []  # nothing was registered before it
    assert [(c["letter_id"], c["kind"]) for c in letters[other].duplicates] == [(first, "same_sender")]
    kinds = {c["letter_id"]: c["kind"] for c in letters[resend].duplicates}
    assert kinds == {first: "repeat", other: "same_sender"}
    assert letters[resend].duplicates[0]["letter_id"] == first  # best first
    assert svc.search.get(resend).facts["sender"] == "nguyen van thang"


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_search_and_duplicates_print_the_documented_shapes(svc: Services, tmp_path: Path) -> None:
    first = _ingest(svc, FIRST, "first.txt")
    resend = _ingest(svc, RESEND, "resend.txt")
    found = json.loads(_cli("search", "Nguyen Van Thang", "--type", "khieu_nai", "--limit", "5", "--json"))
    assert found["total"] == 2
    hit = found["hits"][0]
    assert set(hit) >= {"letter_id", "register_no", "score", "sender", "snippet"} and hit["score"] == 1.0
    assert hit["sender"] == "Nguyễn Văn Thắng" and "<mark>" in hit["snippet"]
    assert json.loads(_cli("search", "thang", "--from", "2000-01-01", "--to", "2000-12-31", "--json"))["total"] == 0

    lines = [json.loads(line) for line in _cli("duplicates", str(resend), str(first), "--json").splitlines()]
    assert [line["letter_id"] for line in lines] == [resend, first]
    candidate = lines[0]["candidates"][0]
    assert candidate["letter_id"] == first and candidate["kind"] == "repeat" and 0 < candidate["score"] <= 1
    assert candidate["reasons"] and lines[1]["candidates"] == []

    text_file = tmp_path / "again.txt"
    text_file.write_text(RESEND, encoding="utf-8")
    outcome = json.loads(_cli("duplicates", "--text-file", str(text_file), "--json"))
    kinds = {c["letter_id"]: c["kind"] for c in outcome["candidates"]}
    assert kinds[resend] == "exact" and kinds[first] == "repeat"


def test_reindex_rebuilds_from_the_database_and_resumes_after_an_interruption(svc: Services) -> None:
    ids = [_ingest(svc, text, f"{n}.txt") for n, text in enumerate((FIRST, OTHER_MATTER, NEIGHBOUR))]
    svc.search.clear()
    svc.search.index([_stale_doc()])  # an entry whose letter does not exist
    # an interrupted run left a checkpoint after the first letter
    (svc.settings.data_dir / "reindex.json").write_text(json.dumps({"target": "live", "last_id": ids[0]}))
    output = _cli("reindex", "--batch", "1")
    assert f"(từ #{ids[0] + 1})" in output
    assert svc.search.ids() == set(ids[1:])  # resumed: the first letter was done before the interruption
    _cli("reindex", "--fresh")
    assert svc.search.ids() == set(ids) and not (svc.settings.data_dir / "reindex.json").exists()


def _stale_doc():  # noqa: ANN202
    from datetime import date

    from search.base import SearchDocument

    return SearchDocument(letter_id=9999, register_no="9999/2026", received_date=date(2026, 1, 1), text="cũ")

"""Classification as the CLI, the pipeline and reviewers see it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classify.labels import record_labels
from classify.store import ModelStore
from ingest.dispatch import dispatch_new_letter
from ingest.intake import register_file
from ingest.services import Services
from models import Letter
from web.cli import main as cli

BRIDGE = """Kính gửi: Văn phòng Tỉnh ủy Hà Tĩnh

Tôi là Phan Đình Khải, trú tại thôn Trung Lưu, xã Thạch Hà. Điện thoại 0983 226 410.
Tôi phản ánh việc cầu treo Khe Giao nối hai thôn đã hư hỏng, nhiều tấm ván mục, dây cáp han gỉ. Học sinh đi học phải
đi qua cầu rất nguy hiểm, mùa mưa nước dâng cao.
Đề nghị các cơ quan xem xét sửa chữa cầu sớm.

Thạch Hà, ngày 12 tháng 10 năm 2026
Người viết đơn
Phan Đình Khải"""

DENUNCIATION = """ĐƠN TỐ CÁO
Kính gửi: Ủy ban Kiểm tra Tỉnh ủy Bắc Ninh
Tôi là Ngô Thị Hảo, trú tại thôn Đông Xá, xã Tiên Du. Tôi tố cáo ông Đặng Văn Lực, đảng viên, Bí thư chi bộ thôn,
có hành vi lợi dụng chức vụ nhận tiền của các hộ khi xét hộ nghèo và chiếm đoạt tiền hỗ trợ làm đường.
Đề nghị Ủy ban Kiểm tra xác minh, xử lý kỷ luật đảng viên vi phạm.
Tiên Du, ngày 2/11/2026
Người tố cáo
Ngô Thị Hảo"""


def _run(*args: str, stdin: str | None = None):  # noqa: ANN202
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_classify_json_has_the_documented_shape(svc: Services) -> None:
    out = json.loads(_run("classify", "-", "--json", stdin=DENUNCIATION))
    assert set(out) == {"type", "agency", "field", "flags", "extracted", "needs_review", "model_version",
                        "explanation"}
    assert out["type"]["label"] == "to_cao" and set(out["type"]["scores"]) == {"khieu_nai", "to_cao", "kien_nghi",
                                                                               "phan_anh"}
    assert abs(sum(out["type"]["scores"].values()) - 1) < 0.01
    assert out["agency"]["label"] == "UBKT_TU" == out["agency"]["ranked"][0]["label"]
    assert len(out["agency"]["ranked"]) == 15 and set(out["agency"]["ranked"][0]) == {"label", "score"}
    assert out["field"]["label"] in ("dang_doan_the", "tham_nhung") and 0 < out["field"]["confidence"] <= 1
    assert out["flags"] == {"anonymous": False, "collective": False, "sent_to_many": False, "mixed": out["flags"]["mixed"]}
    extracted = out["extracted"]
    assert extracted["sender"] == "Ngô Thị Hảo" and extracted["letter_date"] == "2026-11-02"
    assert {"sender", "accused", "signers", "phones", "citizen_ids", "decision_numbers", "letter_date",
            "address"} <= set(extracted)
    assert [a["name"] for a in extracted["accused"]] == ["Đặng Văn Lực"]
    assert out["model_version"] == ModelStore(svc.settings.models_dir).current_version()
    assert out["explanation"] and all(isinstance(e, str) for e in out["explanation"])


def test_classify_jsonl_keeps_ids_and_order(svc: Services, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False)
                              for i, t in (("a", BRIDGE), (7, DENUNCIATION))), encoding="utf-8")
    lines = [json.loads(line) for line in _run("classify", "--jsonl", str(data)).splitlines()]
    assert [line["id"] for line in lines] == ["a", 7] and lines[1]["type"]["label"] == "to_cao"


def test_low_confidence_marks_needs_review(svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DONTHU_REVIEW_THRESHOLD", "0.999")
    assert json.loads(_run("classify", "-", "--json", stdin=BRIDGE))["needs_review"] is True


def test_pipeline_stores_the_prediction_with_its_model_version(svc: Services) -> None:
    result = register_file(svc, DENUNCIATION.encode(), "to_cao.txt")
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        assert letter.stages["classify"]["status"] == "done" and letter.stages_done
        assert letter.classification["type"]["label"] == "to_cao"
        assert letter.model_version == letter.classification["model_version"]


def test_a_worse_model_is_kept_aside(svc: Services) -> None:
    store = ModelStore(svc.settings.models_dir)
    current = store.current_version()
    meta = store.metadata(current)
    perfect = {"type": {"macro_f1": 1.0}, "agency": {"top1": 1.0}, "field": {"macro_f1": 1.0}}
    (store.dir / f"{current}.json").write_text(json.dumps({**meta, "heldout": perfect}))
    out = json.loads(_run("train", "--json"))
    assert out["accepted"] is False and store.current_version() == current
    assert out["version"] in store.versions()  # kept for inspection, not used
    forced = json.loads(_run("train", "--json", "--force"))
    assert forced["accepted"] is True and store.current_version() == forced["version"]


def test_a_reviewers_correction_changes_the_prediction_for_a_near_identical_letter(svc: Services) -> None:
    first = register_file(svc, BRIDGE.encode(), "cau-treo.txt")
    dispatch_new_letter(svc, first.letter_id, first.job_id, sync=True)
    with svc.db.read() as session:
        before = session.get(Letter, first.letter_id).classification
    assert before["agency"]["label"] != "UBND_XA"  # the model follows the "Kính gửi" line
    with svc.db.write() as session:  # the reviewer: a commune's bridge is the commune's business
        label = record_labels(session, first.letter_id, type=before["type"]["label"], agency="UBND_XA",
                              field=before["field"]["label"], user_id=None)
        assert label.corrected
    trained = json.loads(_run("train", "--json"))
    assert trained["accepted"] and trained["reviewed"] == 1
    again = BRIDGE.replace("12 tháng 10", "28 tháng 10").replace("rất nguy hiểm", "vô cùng nguy hiểm")
    second = register_file(svc, again.encode(), "cau-treo-lan-2.txt")
    dispatch_new_letter(svc, second.letter_id, second.job_id, sync=True)
    with svc.db.read() as session:
        after = session.get(Letter, second.letter_id)
        assert after.classification["agency"]["label"] == "UBND_XA"
        assert after.model_version == trained["version"] != before["model_version"]


def test_retraining_is_due_after_new_reviewer_labels(svc: Services) -> None:
    from ingest.classification import retrain, retrain_due

    result = register_file(svc, DENUNCIATION.encode(), "a.txt")
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    assert not retrain_due(svc)
    with svc.db.write() as session:
        record_labels(session, result.letter_id, type="to_cao", agency="UBKT_TU", field="dang_doan_the")
    assert retrain_due(svc)
    retrain(svc, force=True)
    assert not retrain_due(svc)


@pytest.mark.slow
def test_workers_retrain_on_schedule(settings, svc: Services, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from tests.conftest import Workers, wait_for

    result = register_file(svc, DENUNCIATION.encode(), "a.txt")
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    with svc.db.write() as session:
        record_labels(session, result.letter_id, type="to_cao", agency="UBKT_TU", field="dang_doan_the")
    store = ModelStore(settings.models_dir)
    before = store.current_version()
    pool = Workers(settings.with_overrides(retrain_interval=1), 1)
    pool.start()
    try:
        wait_for(lambda: store.current_version() != before, timeout=180, message="the scheduled retraining")
    finally:
        pool.stop()
    assert store.metadata(store.current_version())["reviewed"] == 1

"""The pipeline's steps run in this process (``--sync``): text layers, OCR, assembly, stages, idempotency."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from ingest import pipeline
from ingest.dispatch import InlineDispatcher, dispatch_new_letter
from ingest.errors import PermanentPageError
from ingest.intake import register_file
from ingest.services import Services
from ingest.stages import register_stage, unregister_stage
from models import Letter, Page
from tests.scans import cer, ground_truth, render_page, scanned_pdf, text_pdf

PAGE_ONE = "Kính gửi: Ủy ban Kiểm tra Tỉnh ủy\nTôi là Nguyễn Văn Đức, trú tại xã Hòa Bình, số điện thoại 0912 345 678."
PAGE_TWO = "Tôi tố cáo ông Trần Quốc Hùng, đảng viên, có hành vi lợi dụng chức vụ chiếm đoạt tiền hỗ trợ."
SHORT = "Đơn phản ánh\nĐường liên xã Đồng Tâm bị sạt lở, đề nghị sửa chữa sớm.\nNgười viết: Lê Thị Hoà"


def _ingest(svc: Services, data: bytes, name: str) -> Letter:
    result = register_file(svc, data, name)
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        letter.pages  # noqa: B018 - load while the session is open
        return letter


def _png(image) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    image.save(buf, format="PNG", dpi=image.info.get("dpi", (300, 300)))
    return buf.getvalue()


def test_text_pdf_uses_its_text_layer_page_by_page(svc: Services) -> None:
    letter = _ingest(svc, text_pdf([PAGE_ONE, PAGE_TWO]), "typed.pdf")
    assert letter.status == "ocr_done" and letter.text_source == "pdf_text"
    assert [p.source for p in letter.pages] == ["pdf_text", "pdf_text"]
    assert "Nguyễn Văn Đức" in letter.pages[0].text and "Trần Quốc Hùng" in letter.pages[1].text
    assert letter.full_text.index("Nguyễn Văn Đức") < letter.full_text.index("Trần Quốc Hùng")
    assert all(svc.store.path(p.image_path).exists() for p in letter.pages)  # previews for the review screen


def test_plain_text_is_taken_as_is(svc: Services) -> None:
    letter = _ingest(svc, "Kính gửi: Tỉnh ủy\nTôi là Lê Thị Hoà.\n".encode(), "typed.txt")
    assert letter.status == "ocr_done" and letter.text_source == "plain"
    assert letter.full_text == "Kính gửi: Tỉnh ủy\nTôi là Lê Thị Hoà."


@pytest.mark.slow
def test_scanned_pdf_and_multipage_tiff_are_read_by_ocr(svc: Services) -> None:
    pages = [render_page(SHORT, dpi=300), render_page(PAGE_TWO, dpi=300)]
    letter = _ingest(svc, scanned_pdf(pages), "scan.pdf")
    assert letter.status == "ocr_done" and letter.text_source == "ocr"
    assert cer(ground_truth(SHORT), letter.pages[0].text) < 0.02
    assert letter.ocr_confidence and letter.ocr_confidence > 80
    assert letter.pages[0].words and {"text", "conf", "box"} <= set(letter.pages[0].words[0])
    buf = io.BytesIO()
    frames = [p.copy() for p in pages]  # fresh copies: Pillow carries the PDF save's encoder state otherwise
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
    tiff = _ingest(svc, buf.getvalue(), "scan.tif")
    assert tiff.page_count == 2 and tiff.status == "ocr_done"
    assert cer(ground_truth(PAGE_TWO), tiff.pages[1].text) < 0.02


def test_a_page_that_can_never_be_read_fails_the_letter_with_its_reason(svc: Services,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipeline.read_page

    def flaky(data, media_type, index, **kw):  # noqa: ANN001, ANN202
        if index == 1:
            raise PermanentPageError("PDF page 2 cannot be rendered (damaged)", "corrupt_pdf")
        return real(data, media_type, index, **kw)

    monkeypatch.setattr(pipeline, "read_page", flaky)
    letter = _ingest(svc, text_pdf([PAGE_ONE, PAGE_TWO]), "half.pdf")
    assert letter.status == "failed"
    assert letter.error == "page 2: corrupt_pdf: PDF page 2 cannot be rendered (damaged)"
    assert "Nguyễn Văn Đức" in letter.full_text  # the readable page is kept for the reviewer


def test_transient_errors_are_retried_then_fail_with_the_reason(svc: Services,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def broken(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        raise RuntimeError("tesseract crashed")

    monkeypatch.setattr(pipeline, "read_page", broken)
    result = register_file(svc, text_pdf([PAGE_ONE]), "x.pdf")
    dispatch = InlineDispatcher(svc)
    with pytest.raises(RuntimeError):
        pipeline.prepare_letter(svc, dispatch, result.letter_id)  # reads page 1 inline: first attempt
    for _retry in range(svc.settings.job_retries - 1):  # what RQ does: run the job again after a back-off
        with pytest.raises(RuntimeError):
            pipeline.read_letter_page(svc, dispatch, result.letter_id, 0)
    pipeline.read_letter_page(svc, dispatch, result.letter_id, 0)  # the last attempt gives up cleanly
    assert len(calls) == svc.settings.job_retries + 1
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        assert letter.status == "failed" and "tesseract crashed" in letter.error


def test_steps_are_idempotent(svc: Services) -> None:
    letter = _ingest(svc, text_pdf([PAGE_ONE, PAGE_TWO]), "typed.pdf")
    dispatch = InlineDispatcher(svc)
    pipeline.prepare_letter(svc, dispatch, letter.id)
    pipeline.read_letter_page(svc, dispatch, letter.id, 0)
    assert not pipeline.assemble_letter(svc, dispatch, letter.id)
    with svc.db.read() as session:
        assert session.scalar(select(func.count(Page.id)).where(Page.letter_id == letter.id)) == 2
        again = session.get(Letter, letter.id)
        assert again.full_text == letter.full_text and again.attempts == 1


def test_registered_stages_run_in_order_once_and_failures_are_retried(svc: Services) -> None:
    calls: list[str] = []
    fail_once = {"index": True}

    @register_stage("test_a", order=10)
    def stage_a(s: Services, letter_id: int) -> None:
        calls.append(f"a{letter_id}")

    @register_stage("test_b", order=20)
    def stage_b(s: Services, letter_id: int) -> None:
        calls.append(f"b{letter_id}")
        if fail_once["index"]:
            fail_once["index"] = False
            raise ValueError("index unavailable")

    try:
        result = register_file(svc, "Kính gửi Tỉnh ủy, tôi là Lê Văn Tám.".encode(), "a.txt")
        with pytest.raises(ValueError):
            dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
        with svc.db.read() as session:
            letter = session.get(Letter, result.letter_id)
            assert letter.status == "ocr_done" and not letter.stages_done
            assert letter.stages["test_a"]["status"] == "done"
            assert letter.stages["test_b"] == {"status": "failed", "error": "ValueError: index unavailable",
                                               "attempts": 1}
        pipeline.run_stages(svc, result.letter_id)  # the retry runs only what is missing
        assert calls == [f"a{result.letter_id}", f"b{result.letter_id}", f"b{result.letter_id}"]
        with svc.db.read() as session:
            letter = session.get(Letter, result.letter_id)
            assert letter.stages["test_b"]["status"] == "done" and letter.stages_done
    finally:
        unregister_stage("test_a")
        unregister_stage("test_b")


@pytest.mark.slow
def test_donthu_ocr_json_reads_a_rotated_scan_without_storing_it(svc: Services, tmp_path) -> None:  # noqa: ANN001
    import json

    from click.testing import CliRunner

    from tests.scans import damage
    from web.cli import main as cli

    page = damage(render_page(SHORT, dpi=300), rotate=90, skew=0.0, seed=3)
    path = tmp_path / "xoay.png"
    page.save(path, dpi=(300, 300))
    result = CliRunner().invoke(cli, ["ocr", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"pages", "text"} and len(out["pages"]) == 1
    only = out["pages"][0]
    assert set(only) == {"index", "text", "confidence", "rotation", "skew", "source"}
    assert only["source"] == "ocr" and only["rotation"] == 270 and only["confidence"] > 80
    assert cer(ground_truth(SHORT), out["text"]) < 0.02
    with svc.db.read() as session:
        assert session.scalar(select(func.count(Letter.id))) == 0  # nothing stored


@pytest.mark.slow
def test_a_black_and_white_fax_tiff_is_read(svc: Services) -> None:
    """Office scanners in black-and-white mode write CCITT G4 TIFFs; Pillow must not reuse that compression for
    the cleaned greyscale page it hands to Tesseract."""
    image = render_page(SHORT, dpi=200).convert("1")
    buf = io.BytesIO()
    image.save(buf, format="TIFF", compression="group4", dpi=(200, 200))
    letter = _ingest(svc, buf.getvalue(), "fax.tif")
    assert letter.status == "ocr_done", letter.error
    assert "Đồng Tâm" in letter.full_text

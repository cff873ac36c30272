"""Hostile input: every file of the generated corpus (``tests/hostile_corpus.py``: truncated, corrupt, encrypted,
polyglot, bombs, huge and 1000-page files, active content, wrong extensions, odd and path-traversal names) is either
refused at intake with its specific code, or accepted — stored inside the data dir, committed — and settled by the
real pipeline (run in this process) as ``ocr_done`` or ``failed`` with a readable reason. Nothing raises, nothing
is left half-done, nothing is stored outside the data dir."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from ingest import cleanup
from ingest.dispatch import dispatch_new_letter
from ingest.errors import IntakeError
from ingest.intake import register_file
from ingest.reader import MAX_SIDE, render_scale
from ingest.services import Services
from ingest.storage import FileStore
from models import Letter
from tests.hostile_corpus import CATEGORIES, DONE, DUPLICATE, FAILED, CorpusFile, generate, png
from tests.scans import render_page


@dataclass
class Outcome:
    file: CorpusFile
    outcome: str  # refused:<code> | ocr_done | failed | duplicate | <a status that is a bug> | raised
    detail: str = ""  # the refusal's message, the failure reason, or the exception that escaped
    letter_id: int | None = None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[CorpusFile]:
    return generate(tmp_path_factory.mktemp("hostile"))


def _feed(svc: Services, file: CorpusFile) -> Outcome:
    """Intake, then the whole pipeline in this process, as ``donthu ingest --sync`` runs it."""
    try:
        result = register_file(svc, file.data(), file.name)
    except IntakeError as exc:
        return Outcome(file, f"refused:{exc.code}", exc.message)
    except Exception as exc:  # noqa: BLE001 - an intake crash is what this test looks for
        return Outcome(file, "raised", f"intake: {type(exc).__name__}: {exc}")
    if result.duplicate_of is not None:
        return Outcome(file, DUPLICATE, letter_id=result.letter_id)
    try:
        dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    except Exception as exc:  # noqa: BLE001 - a "transient" error on hostile input would be retried for nothing
        return Outcome(file, "raised", f"pipeline: {type(exc).__name__}: {exc}", result.letter_id)
    with svc.db.read() as session:
        letter = session.get(Letter, result.letter_id)
        return Outcome(file, letter.status, letter.error or "", letter.id)


def _run(svc: Services, files: list[CorpusFile]) -> list[Outcome]:
    outcomes = [_feed(svc, f) for f in files]
    wrong = [f"{o.file.path.name} {o.file.name[:40]!r} ({o.file.note}): {o.outcome} {o.detail[:160]!r}, "
             f"expected {sorted(o.file.expect)}" for o in outcomes if o.outcome not in o.file.expect]
    assert not wrong, f"{len(wrong)} of {len(files)} files ended wrongly:\n" + "\n".join(wrong)
    return outcomes


def _assert_accepted_letters_are_whole(svc: Services, outcomes: list[Outcome]) -> None:
    """Every accepted file is one committed letter with its original on disk, inside the data dir, all its pages
    settled, and a reason when it failed; refused files left no letter and no file."""
    data_dir = svc.settings.data_dir.resolve()
    accepted = {o.letter_id for o in outcomes if o.letter_id is not None}
    with svc.db.read() as session:
        letters = session.scalars(select(Letter)).all()
        assert {letter.id for letter in letters} == accepted
        for letter in letters:
            where = f"letter {letter.id} ({letter.original_name!r})"
            stored = svc.store.path(letter.storage_path).resolve()
            assert stored.is_relative_to(data_dir / "files"), where
            assert stored.is_file() and stored.read_bytes() == next(
                o.file.data() for o in outcomes if o.letter_id == letter.id and o.outcome != DUPLICATE), where
            assert letter.status in (DONE, FAILED), where
            assert all(p.status in ("done", "failed") for p in letter.pages), where
            assert len(letter.pages) == letter.page_count, where
            if letter.status == FAILED:
                assert letter.error and letter.error.startswith("page ") and "Traceback" not in letter.error, where
            else:
                assert letter.stages_done, where
            for page in letter.pages:
                if page.image_path:
                    assert svc.store.path(page.image_path).resolve().is_relative_to(data_dir / "files"), where
            name = letter.original_name
            assert name and len(name) <= 255 and "/" not in name and "\\" not in name, where
            assert all(ch.isprintable() for ch in name) and name.strip(". "), where  # never "", "." or ".."
    originals = [p for p in (data_dir / "files").rglob("*") if p.is_file() and ".pages" not in p.parent.name]
    assert len(originals) == len(accepted)  # refusals stored nothing


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_every_hostile_file_is_refused_with_its_code_or_settles_with_its_file_stored(
        svc: Services, corpus: list[CorpusFile]) -> None:
    assert len(corpus) >= 200
    assert len({f.category for f in corpus}) >= 13
    outcomes = _run(svc, corpus)
    _assert_accepted_letters_are_whole(svc, outcomes)
    kinds = {o.outcome.split(":")[0] for o in outcomes}
    assert {"refused", DONE, DUPLICATE} <= kinds


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_hostile_texts_and_names_are_stored_on_postgresql(svc: Services, corpus: list[CorpusFile]) -> None:
    """PostgreSQL is stricter than SQLite (no NUL in text, names limited to 255 characters)."""
    subset = [f for f in corpus if f.category in ("text", "odd-name", "path-traversal", "wrong-extension", "empty",
                                                  "encrypted")]
    outcomes = _run(svc, subset)
    _assert_accepted_letters_are_whole(svc, outcomes)


def test_a_stored_path_that_would_leave_the_data_dir_is_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    assert store.path("files/ab/abc.pdf") == tmp_path / "files/ab/abc.pdf"
    for hostile in ("../secret_key", "/etc/passwd", "files/../../x", ""):
        with pytest.raises(ValueError, match="not inside the data dir"):
            store.path(hostile)


def test_an_oversized_pdf_page_is_rendered_within_the_pixel_limit() -> None:
    limit = 60_000_000
    for width, height in ((14_400, 14_400), (1e12, 100), (0.01, 5000), (595, 842)):
        scale = render_scale(width, height, 300, limit)
        assert max(width, 1) * max(height, 1) * scale * scale <= limit * 1.001
        assert max(width, height) * scale <= MAX_SIDE + 1
    assert render_scale(595, 842, 300, limit) == 300 / 72  # an A4 page keeps its resolution


def test_upscaling_a_low_resolution_page_stops_at_the_output_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    page = render_page("Kính gửi Ban Nội chính Tỉnh ủy.\nTôi là Lê Văn Tám, trú tại xã Hòa Bình.", dpi=100)
    assert cleanup.clean_page(page, dpi=100).scale > 2  # without a limit it would be tripled
    monkeypatch.setattr(cleanup, "MAX_OUTPUT_PIXELS", 2_000_000)
    cleaned = cleanup.clean_page(page, dpi=100)
    assert cleaned.image.width * cleaned.image.height <= 2_000_000 * 1.05  # deskew may grow the canvas a little


def test_a_strip_of_a_page_reads_as_blank() -> None:
    for size in ((5000, 1), (1, 5000), (3, 3), (40_000, 15)):
        cleaned = cleanup.clean_page(Image.new("L", size, 0), dpi=300)
        assert cleaned.layout.blank and cleaned.image.size == size


_READ_UNDER_LIMIT = """
import resource, sys
import psutil
from ingest.errors import PermanentPageError
from ingest.reader import read_page
data = open(sys.argv[1], "rb").read()
vms = psutil.Process().memory_info().vms
resource.setrlimit(resource.RLIMIT_AS, (vms + int(sys.argv[2]) * 1024 * 1024, resource.RLIM_INFINITY))
try:
    read_page(data, "image/png", 0)
except PermanentPageError as exc:
    print(exc.code)
else:
    print("read")
"""


def test_a_page_over_the_job_memory_limit_fails_permanently_with_its_reason(tmp_path: Path) -> None:
    """A fresh process (a fork would reuse its parent's free heap) with 20 MiB of address space to spare, as a
    work-horse under DONTHU_JOB_MEMORY_MB: decoding 49 M pixels fails as a page too large, not as a crash."""
    path = tmp_path / "big.png"
    path.write_bytes(png((7000, 7000), mode="1", tag="memory"))  # ~50 MB decoded, ~10 KB on disk
    run = subprocess.run([sys.executable, "-c", _READ_UNDER_LIMIT, str(path), "20"], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert run.stdout.split() == ["page_too_large"], run.stderr[-2000:]


def test_the_work_horse_memory_limit_is_the_setting_in_mib() -> None:
    code = ("import resource; from ingest.rq_worker import limit_memory; limit_memory(1234); "
            "print(resource.getrlimit(resource.RLIMIT_AS)[0])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert run.stdout.strip() == str(1234 * 1024 * 1024), run.stderr[-2000:]


def test_generation_is_deterministic(corpus: list[CorpusFile]) -> None:
    slow = {"zip-bomb", "1000-pages"}  # the same builders; regenerating them would double the time
    again = [item for make in CATEGORIES for item in make() if item.category not in slow]
    first = [f for f in corpus if f.category not in slow]
    assert [i.name for i in again] == [f.name for f in first]
    differ = {f.name for f, i in zip(first, again, strict=True) if f.data() != i.data}
    assert differ <= {"locked-r6.pdf", "owner-only-r6.pdf"}  # qpdf draws AES-256 salts at random

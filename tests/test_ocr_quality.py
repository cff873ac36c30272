"""OCR quality suite: synthetic scans through ``ingest.ocr.ocr_image``, scored by character error rate.

The slow tests generate 28 pages at test time (tests/scans.py), OCR them in a pool of two
processes with one OpenMP thread each, print a figure table and keep it in
``tests/artifacts/ocr_quality.txt`` (about 30 s on 2 cores). The fast tests check the pure helpers
(skew, orientation, CER, TSV parsing, the scan factory) and the error paths, which fail quickly.
"""

from __future__ import annotations

import io
import os
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ingest import cleanup
from ingest.ocr import OCRError, PageOCR, _words_and_text, ocr_image, tesseract_available

try:  # tests/ is a plain directory: importable as a package from the repo root, or flat by pytest
    from tests import scans
except ImportError:  # pragma: no cover - depends on how pytest was started
    import scans  # type: ignore[no-redef]

ARTIFACT = Path(__file__).parent / "artifacts" / "ocr_quality.txt"
WORKERS = 2
FONT_KEYS = list(scans.FONTS)

needs_tesseract = pytest.mark.skipif(not tesseract_available("vie"), reason="tesseract with 'vie' data not installed")


# --------------------------------------------------------------------------------------------------
# The quality groups
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageSpec:
    """One synthetic page: which text, how it is typeset, how it is damaged, what dpi OCR is told."""

    text: int
    font: str
    damage: dict = field(default_factory=dict)
    tell_dpi: bool = True  # False: OCR must estimate the resolution from the glyphs


@dataclass
class Group:
    name: str
    target_cer: float
    pages: list[PageSpec]


def _groups() -> list[Group]:
    clean = [PageSpec(i, FONT_KEYS[i % 4], {"seed": i}) for i in range(4)]
    skewed = [
        PageSpec(
            4 + i,
            FONT_KEYS[(i + 1) % 4],
            {"skew": angle, "noise": 0.05, "jpeg_quality": 75, "dpi": 250, "seed": i},
            tell_dpi=i % 2 == 0,
        )
        for i, angle in enumerate((6.0, -7.0, 8.5, -9.0))
    ]
    low_dpi = [
        PageSpec(i * 2 + 1, FONT_KEYS[(i + 2) % 4], {"noise": noise, "dpi": 150, "seed": 10 + i}, tell_dpi=i % 2 == 1)
        for i, noise in enumerate((0.05, 0.08, 0.1, 0.12))
    ]
    groups = [
        Group("clean 300 dpi", 0.01, clean),
        Group("skew 6-9°, noise, JPEG, 250 dpi", 0.02, skewed),
        Group("150 dpi noisy", 0.02, low_dpi),
    ]
    shaded = [
        PageSpec(
            i + 2,
            FONT_KEYS[(i + 3) % 4],
            {"shading": 0.55, "skew": (-1.5, 2.5, -3.0, 1.0)[i], "noise": 0.02, "jpeg_quality": 70, "seed": 30 + i},
        )
        for i in range(4)
    ]
    groups.append(Group("uneven light, phone-photo style", 0.02, shaded))
    for k, rotate in enumerate((90, 180, 270)):
        pages = [
            PageSpec(
                (i + 3 * k) % len(scans.SAMPLE_TEXTS),
                FONT_KEYS[(i + k) % 4],
                {"rotate": rotate, "noise": 0.02, "jpeg_quality": 85, "seed": 20 + i},
            )
            for i in range(4)
        ]
        groups.append(Group(f"rotated {rotate}°", 0.02, pages))
    return groups


@dataclass
class PageResult:
    spec: PageSpec
    cer: float
    rotation: int
    skew: float
    confidence: float
    seconds: float


def _ocr_page(spec: PageSpec) -> PageResult:
    """Worker: typeset, damage and OCR one page (runs in a child process)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    text = scans.SAMPLE_TEXTS[spec.text]
    image = scans.damage(scans.render_page(text, font=spec.font, seed=spec.text), **spec.damage)
    dpi = round(image.info["dpi"][0]) if spec.tell_dpi else None
    result = ocr_image(image, lang="vie", dpi=dpi)
    return PageResult(
        spec=spec,
        cer=scans.cer(scans.ground_truth(text), result.text),
        rotation=result.rotation,
        skew=result.skew,
        confidence=result.confidence,
        seconds=result.seconds,
    )


def _table(results: dict[str, list[PageResult]], groups: list[Group]) -> str:
    header = f"{'group':34} {'pages':>5} {'mean CER':>9} {'max CER':>8} {'target':>7} {'s/page':>7} {'conf':>5}"
    lines = [header, "-" * len(header)]
    for group in groups:
        rows = results[group.name]
        cers = [r.cer for r in rows]
        lines.append(
            f"{group.name:34} {len(rows):5d} {statistics.mean(cers):9.2%} {max(cers):8.2%} {group.target_cer:7.0%} "
            f"{statistics.mean(r.seconds for r in rows):7.2f} {statistics.mean(r.confidence for r in rows):5.1f}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def quality() -> tuple[list[Group], dict[str, list[PageResult]]]:
    """OCR every page of every group once for the whole module, then print and save the table."""
    groups = _groups()
    specs = [(group.name, spec) for group in groups for spec in group.pages]
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        outcomes = list(pool.map(_ocr_page, [spec for _, spec in specs]))
    results: dict[str, list[PageResult]] = {group.name: [] for group in groups}
    for (name, _), outcome in zip(specs, outcomes, strict=True):
        results[name].append(outcome)
    table = _table(results, groups)
    print("\nOCR quality (CER = Levenshtein / reference length, after NFC and whitespace folding)\n" + table)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(table + "\n", encoding="utf-8")
    return groups, results


GROUP_NAMES = [group.name for group in _groups()]


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("name", GROUP_NAMES)
def test_group_mean_cer(quality, name: str) -> None:
    groups, results = quality
    group = next(g for g in groups if g.name == name)
    cers = [r.cer for r in results[name]]
    assert statistics.mean(cers) <= group.target_cer, f"{name}: CER per page {[f'{c:.2%}' for c in cers]}"


@pytest.mark.slow
@needs_tesseract
def test_reported_rotation_undoes_the_damage(quality) -> None:
    _, results = quality
    for rows in results.values():
        for r in rows:
            assert (r.spec.damage.get("rotate", 0) + r.rotation) % 360 == 0, r


@pytest.mark.slow
@needs_tesseract
def test_words_have_boxes_on_the_returned_image() -> None:
    text = scans.SAMPLE_TEXTS[0]
    damaged = scans.damage(scans.render_page(text, font="DejaVuSerif"), rotate=90, skew=-5.0, noise=0.05, dpi=200)
    result = ocr_image(damaged, dpi=200)
    assert result.image.mode == "L"
    assert " ".join(w["text"] for w in result.words) == " ".join(result.text.split())
    page = np.asarray(result.image)
    for word in result.words:
        x, y, w, h = word["box"]
        assert all(isinstance(v, int) for v in word["box"])
        assert min(x, y) >= 0 and x + w <= result.image.width and y + h <= result.image.height
        assert page[y : y + h, x : x + w].min() < 128  # there is ink where the word is said to be
    assert 0 < result.seconds < 60


@pytest.mark.slow
@needs_tesseract
def test_reported_skew_matches_the_damage(quality) -> None:
    _, results = quality
    for rows in results.values():
        for r in rows:
            assert abs(r.skew - r.spec.damage.get("skew", 0.0)) <= 1.0, r


# --------------------------------------------------------------------------------------------------
# Fast tests of the pure helpers (no Tesseract)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_page_image() -> Image.Image:
    return scans.render_page(scans.SAMPLE_TEXTS[0], dpi=200, font="LiberationSerif")


def _layout(image: Image.Image) -> cleanup.Layout:
    mask, factor = cleanup.binarise_thumbnail(cleanup.to_gray(image))
    return cleanup.analyse_layout(mask, factor)


@pytest.mark.parametrize("angle", [-14.0, -7.0, -2.5, 0.0, 0.8, 4.2, 9.0, 15.0])
def test_skew_estimation(clean_page_image: Image.Image, angle: float) -> None:
    layout = _layout(scans.damage(clean_page_image, skew=angle))
    assert layout.rotation == 0
    assert layout.skew == pytest.approx(angle, abs=0.3)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
@pytest.mark.parametrize("font", ["DejaVuSans", "LiberationSerif"])
def test_orientation_detection(rotate: int, font: str) -> None:
    page = scans.render_page(scans.SAMPLE_TEXTS[3], dpi=200, font=font)
    layout = _layout(scans.damage(page, rotate=rotate, skew=2.0, noise=0.03, seed=1))
    assert (rotate + layout.rotation) % 360 == 0
    assert layout.skew == pytest.approx(2.0, abs=0.3)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_orientation_of_a_single_line(rotate: int) -> None:
    """One line has no line pitch to measure: the line-shape test must still tell 0° from 90°."""
    page = scans.render_page("Đề nghị Ban Nội chính Tỉnh ủy xem xét đơn của tôi.", dpi=200, font="DejaVuSerif")
    layout = _layout(scans.damage(page, rotate=rotate, skew=-4.0, seed=2))
    assert (rotate + layout.rotation) % 360 == 0
    assert layout.skew == pytest.approx(-4.0, abs=0.5)
    assert layout.lines == 1


def test_specks_are_not_text() -> None:
    rng = np.random.default_rng(0)
    paper = np.full((1169, 827), 255, np.uint8)
    paper[rng.random(paper.shape) < 0.002] = 0  # dust
    mask = cleanup.binarise(paper)
    assert mask.sum() == 0


def test_blank_page_is_left_alone() -> None:
    layout = _layout(Image.new("L", (1654, 2339), 250))
    assert layout.blank and layout.rotation == 0 and layout.skew == 0.0


def test_clean_page_straightens_and_upscales() -> None:
    page = scans.render_page(scans.SAMPLE_TEXTS[5], dpi=300)
    damaged = scans.damage(page, rotate=90, skew=-6.0, noise=0.08, dpi=150, seed=3)
    cleaned = cleanup.clean_page(damaged, dpi=None)  # dpi estimated from the glyphs
    assert cleaned.rotation == 270
    assert cleaned.skew == pytest.approx(-6.0, abs=0.3)
    assert 250 <= cleaned.dpi <= 350
    assert cleaned.image.mode == "L"
    assert cleaned.image.height > cleaned.image.width  # upright portrait again
    assert cleaned.noise >= cleanup.NOISE_SIGMA_DENOISE


def test_paper_background_only_when_uneven() -> None:
    page = scans.render_page(scans.SAMPLE_TEXTS[2], dpi=150)
    small, _ = cleanup.thumbnail(page)
    assert cleanup.paper_background(small) is None
    shaded, _ = cleanup.thumbnail(scans.damage(page, shading=0.5, seed=1))
    background = cleanup.paper_background(shaded)
    assert background is not None
    flat = cleanup.flatten(shaded, background)
    assert np.percentile(flat, 50) > 240  # the paper is white again everywhere
    assert np.percentile(flat, 0.5) < 100  # and the ink is still dark


@pytest.mark.parametrize(
    ("stated", "x_height", "expected"),
    [
        (300, 27.0, 300.0),  # stated and measured agree: trust the caller
        (150, 13.0, 150.0),
        (None, 13.0, 156.0),  # unknown: from the glyphs
        (72, 27.0, 324.0),  # phones write 72 dpi whatever they shot: the glyphs win
        (150, 29.0, 150.0),  # capitals look like large x-height: a real scanner setting still wins
        (None, None, 300.0),  # nothing to go on
    ],
)
def test_effective_dpi(stated: int | None, x_height: float | None, expected: float) -> None:
    assert cleanup._effective_dpi(stated, x_height) == pytest.approx(expected)


def test_text_box_maps_ink_onto_the_cleaned_page() -> None:
    page = scans.render_page(scans.SAMPLE_TEXTS[6], dpi=300)
    ink = np.argwhere(np.asarray(page) < 128)
    top, left = ink.min(axis=0)
    bottom, right = ink.max(axis=0)
    cleaned = cleanup.clean_page(scans.damage(page, rotate=180), dpi=300)
    box = cleaned.text_box
    assert box is not None
    margin = round(cleanup.TEXT_BOX_MARGIN_INCHES * 300)
    # Turned back upright, the box must hold all the ink, with about the promised margin.
    assert box[0] <= left and box[1] <= top and box[2] >= right and box[3] >= bottom
    assert box[0] >= left - margin - 10 and box[3] <= bottom + margin + 10


def test_estimate_noise_separates_clean_from_noisy() -> None:
    page = scans.render_page(scans.SAMPLE_TEXTS[1], dpi=150)
    assert cleanup.estimate_noise(np.asarray(page)) < 1.0
    assert cleanup.estimate_noise(np.asarray(scans.damage(page, noise=0.1))) > cleanup.NOISE_SIGMA_DENOISE


def test_cer() -> None:
    assert scans.cer("Nguyễn Văn A", "Nguyễn Văn A") == 0.0
    assert scans.cer("Nguyễn  Văn\nA", " Nguyễn Văn A ") == 0.0  # whitespace is layout, not content
    decomposed = "Nguye\u0302\u0303n"  # NFD input must not count as errors
    assert scans.cer("Nguyễn", decomposed) == 0.0
    assert scans.cer("abcd", "abed") == pytest.approx(0.25)
    assert scans.cer("Đoàn", "Doãn") == pytest.approx(2 / 4)
    assert scans.cer("", "") == 0.0 and scans.cer("", "x") == 1.0


def test_words_and_text_rebuilds_layout() -> None:
    data = {
        "level": [1, 2, 3, 4, 5, 5, 4, 5, 3, 4, 5, 5],
        "block_num": [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        "par_num": [0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2],
        "line_num": [0, 0, 0, 1, 1, 1, 2, 2, 0, 1, 1, 1],
        "word_num": [0, 0, 0, 0, 1, 2, 0, 1, 0, 0, 1, 2],
        "left": [0, 10, 10, 10, 10, 80, 10, 10, 10, 10, 10, 90],
        "top": [0, 10, 10, 10, 10, 10, 40, 40, 90, 90, 90, 90],
        "width": [500, 200, 200, 200, 60, 60, 50, 50, 200, 200, 70, 40],
        "height": [700, 100, 50, 20, 20, 20, 20, 20, 20, 20, 20, 20],
        "conf": [-1, -1, -1, -1, 96.5, 90.0, -1, 80.0, -1, -1, 70.0, 60.0],
        "text": ["", "", "", "", "Nguye\u0302\u0303n", "Văn", "", "Hùng", "", "", "Kính", " "],
    }
    words, text, confidence = _words_and_text(data)
    assert text == "Nguyễn Văn\nHùng\n\nKính"
    assert [w["text"] for w in words] == ["Nguyễn", "Văn", "Hùng", "Kính"]
    assert words[0]["box"] == [10, 10, 60, 20]
    assert confidence == pytest.approx((96.5 + 90.0 + 80.0 + 70.0) / 4)


def test_render_and_damage_keep_dpi() -> None:
    page = scans.render_page(scans.SAMPLE_TEXTS[2], dpi=300, font="DejaVuSerif", seed=4)
    assert page.mode == "L" and page.info["dpi"] == (300, 300)
    assert page.size == (round(8.27 * 300), round(11.69 * 300))
    low = scans.damage(page, dpi=150, jpeg_quality=80, rotate=90)
    assert low.info["dpi"] == (150.0, 150.0)
    assert low.width > low.height  # sideways
    assert abs(low.height - page.width / 2) <= 1
    with pytest.raises(ValueError):
        scans.render_page(" ".join(scans.SAMPLE_TEXTS), dpi=100)


def test_sample_texts_are_letter_sized() -> None:
    assert len(scans.SAMPLE_TEXTS) >= 8
    for text in scans.SAMPLE_TEXTS:
        assert 120 <= len(text.split()) <= 250
        assert scans.ground_truth(text) == " ".join(text.split())


def test_pdfs() -> None:
    pdfplumber = pytest.importorskip("pdfplumber")
    pages = [scans.render_page(t, dpi=100) for t in scans.SAMPLE_TEXTS[:2]]
    with pdfplumber.open(io.BytesIO(scans.scanned_pdf(pages, dpi=100))) as pdf:
        assert len(pdf.pages) == 2
        assert not (pdf.pages[0].extract_text() or "").strip()  # image only
    pytest.importorskip("fpdf")
    with pdfplumber.open(io.BytesIO(scans.text_pdf(scans.SAMPLE_TEXTS[:2]))) as pdf:
        assert len(pdf.pages) == 2
        assert scans.cer(scans.SAMPLE_TEXTS[1], pdf.pages[1].extract_text()) < 0.01


# --------------------------------------------------------------------------------------------------
# Errors (need the binary, but are quick)
# --------------------------------------------------------------------------------------------------


@needs_tesseract
def test_missing_language_raises_ocr_error() -> None:
    assert not tesseract_available("xyz")
    with pytest.raises(OCRError, match="language"):
        ocr_image(scans.render_page("Xin chào", dpi=100), lang="xyz")


@needs_tesseract
def test_missing_binary_raises_ocr_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(OCRError, match="not installed"):
        ocr_image(scans.render_page("Xin chào", dpi=100))


@needs_tesseract
def test_blank_page_reads_empty() -> None:
    result = ocr_image(Image.new("L", (827, 1169), 255), dpi=100)
    assert isinstance(result, PageOCR)
    assert result.text == "" and result.confidence == 0.0 and result.words == []
    assert result.rotation == 0 and result.skew == 0.0


@pytest.mark.slow
@needs_tesseract
def test_wrong_orientation_guess_is_caught_by_osd(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the cheap 0-vs-180 guess is wrong, the low-confidence pass falls back to Tesseract's OSD."""
    from ingest import ocr as ocr_module

    real_clean_page = ocr_module.clean_page

    def wrong_way_up(image: Image.Image, dpi: int | None = None) -> cleanup.CleanPage:
        page = real_clean_page(image, dpi)
        page.layout.updown_confidence = 0.0  # as if the detector could not tell
        return ocr_module._rotated(page, 180)

    monkeypatch.setattr(ocr_module, "clean_page", wrong_way_up)
    text = scans.SAMPLE_TEXTS[4]
    result = ocr_image(scans.render_page(text, dpi=300, font="LiberationSans"), dpi=300)
    assert result.rotation == 0
    assert scans.cer(scans.ground_truth(text), result.text) < 0.01


@pytest.mark.slow
@needs_tesseract
@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_short_page_of_capitals_comes_out_upright(rotate: int) -> None:
    """Two lines of capitals give the cheap 0-vs-180 test almost nothing; the fallback must catch it."""
    text = "QUYẾT ĐỊNH SỐ 1523/QĐ-UBND\nNGÀY 12/3/2025"
    page = scans.render_page(text, dpi=300, font="LiberationSans", size_pt=14, seed=rotate)
    result = ocr_image(scans.damage(page, rotate=rotate, skew=-3.3, noise=0.1, jpeg_quality=60, seed=rotate), dpi=300)
    assert (rotate + result.rotation) % 360 == 0
    assert scans.cer(scans.ground_truth(text), result.text) < 0.05

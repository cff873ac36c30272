"""Test-time scan factory: synthetic Vietnamese letter pages, scan damage, PDFs and CER.

Everything here is pure and deterministic given its arguments (and ``seed``), so tests and
benchmarks can regenerate the same pages instead of shipping binary fixtures.

Conventions shared with :mod:`ingest.ocr`:

* ``damage(rotate=r)`` turns the page ``r`` degrees *clockwise*; the OCR reports the clockwise
  rotation that makes it upright again, so ``(r + PageOCR.rotation) % 360 == 0``.
* ``damage(skew=s)`` turns the page ``s`` degrees *counter-clockwise* (Pillow's convention);
  the OCR reports the skew it measured and removed in the same convention, so
  ``PageOCR.skew ≈ s``.
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz.distance import Levenshtein

__all__ = [
    "FONTS",
    "SAMPLE_TEXTS",
    "cer",
    "damage",
    "ground_truth",
    "render_page",
    "scanned_pdf",
    "text_pdf",
]

FONTS: dict[str, Path] = {
    "DejaVuSans": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    "DejaVuSerif": Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    "LiberationSerif": Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    "LiberationSans": Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"),
}

A4_INCHES = (8.27, 11.69)
# Vietnamese administrative documents (Nghị định 30/2020) use ~3 cm left and 2 cm other margins.
MARGINS_CM = {"left": 3.0, "right": 2.0, "top": 2.0, "bottom": 2.0}
LINE_SPACING = 1.35  # baseline-to-baseline distance as a multiple of the font size
PARAGRAPH_GAP = 0.5  # extra space between paragraphs, in lines

# Letters written for these tests (fictional people, places and numbers). One line is one paragraph.
SAMPLE_TEXTS: list[str] = [
    # 0: complaint about land recovery compensation
    """ĐƠN KHIẾU NẠI
Kính gửi: Ban Thường vụ Tỉnh ủy và Ủy ban nhân dân tỉnh Ninh Bình.
Tôi tên là Nguyễn Văn Hùng, sinh năm 1968, số CCCD 036068004512 cấp ngày 15/8/2021, thường trú tại thôn Đông Thịnh, xã Yên Khánh, tỉnh Ninh Bình, số điện thoại 0912 345 678.
Tôi làm đơn này khiếu nại Quyết định số 1523/QĐ-UBND ngày 12/3/2025 về việc thu hồi 1.250 mét vuông đất nông nghiệp của gia đình tôi để thực hiện dự án mở rộng đường tỉnh 480. Theo quyết định, gia đình tôi chỉ được bồi thường 95.000 đồng mỗi mét vuông, thấp hơn nhiều so với giá chuyển nhượng thực tế tại địa phương. Ngoài ra, phần diện tích 180 mét vuông đất vườn liền kề nhà ở không được tính hỗ trợ chuyển đổi nghề nghiệp.
Gia đình tôi đã ba lần gửi đơn đến Ủy ban nhân dân xã nhưng đến nay chưa nhận được văn bản trả lời. Việc cưỡng chế dự kiến vào ngày 20/6/2025 khiến chúng tôi rất lo lắng.
Kính đề nghị các cơ quan có thẩm quyền xem xét lại giá bồi thường, hỗ trợ theo đúng quy định của Luật Đất đai năm 2024 và tạm dừng việc cưỡng chế cho đến khi có kết quả giải quyết.
Tôi xin cam đoan những nội dung trên là đúng sự thật và chịu trách nhiệm trước pháp luật.
Ninh Bình, ngày 02 tháng 5 năm 2025. Người làm đơn: Nguyễn Văn Hùng.""",
    # 1: denunciation of a commune official
    """ĐƠN TỐ CÁO
Kính gửi: Ủy ban Kiểm tra Tỉnh ủy Thanh Hóa.
Tôi là Trần Thị Lan, sinh năm 1975, CCCD số 038175009981, trú tại xóm 4, xã Quảng Ngọc, tỉnh Thanh Hóa, điện thoại 0987 654 321.
Tôi làm đơn tố cáo ông Lê Đình Phúc, nguyên cán bộ địa chính xã, có hành vi nhận tiền của nhiều hộ dân để hợp thức hóa hồ sơ cấp giấy chứng nhận quyền sử dụng đất. Cụ thể, ngày 14/9/2024 ông Phúc nhận của gia đình tôi 35 triệu đồng và hứa sẽ làm xong sổ trong vòng hai tháng, nhưng đến nay hồ sơ vẫn chưa được giải quyết. Ít nhất bảy hộ khác trong xóm cũng bị thu tiền tương tự, tổng số tiền khoảng 240 triệu đồng.
Khi chúng tôi đề nghị trả lại tiền, ông Phúc có lời lẽ đe dọa và nói rằng có người quen ở cấp trên. Tôi có giữ lại giấy biên nhận viết tay và ghi âm cuộc nói chuyện ngày 03/01/2025.
Đề nghị Ủy ban Kiểm tra xác minh, làm rõ và xử lý nghiêm hành vi sai phạm của đảng viên Lê Đình Phúc, đồng thời giữ bí mật thông tin của người tố cáo theo quy định của Luật Tố cáo.
Xin trân trọng cảm ơn.
Thanh Hóa, ngày 18 tháng 02 năm 2025. Người tố cáo: Trần Thị Lan.""",
    # 2: collective recommendation about pollution
    """ĐƠN KIẾN NGHỊ
Kính gửi: Sở Nông nghiệp và Môi trường tỉnh Bắc Ninh.
Chúng tôi gồm 46 hộ dân thôn Phù Lưu, phường Đông Ngàn, tỉnh Bắc Ninh, đại diện là ông Phạm Quốc Toản, sinh năm 1962, CCCD 027062001377, điện thoại 0968 112 233.
Từ tháng 7 năm 2024 đến nay, Công ty TNHH Thép Hòa Phát Việt thường xuyên xả nước thải chưa qua xử lý ra mương tiêu nước chung của thôn, nhất là vào ban đêm. Nước mương chuyển màu đen, bốc mùi hôi thối, cá chết hàng loạt, nhiều thửa ruộng lúa vụ chiêm bị vàng lá và giảm năng suất hơn một nửa. Khói bụi từ lò nung làm nhiều người già và trẻ nhỏ bị ho kéo dài.
Ngày 05/11/2024, chúng tôi đã phản ánh tại buổi tiếp công dân của Ủy ban nhân dân phường và được hứa sẽ kiểm tra, nhưng tình trạng ô nhiễm vẫn tiếp diễn.
Chúng tôi kiến nghị: lấy mẫu nước, mẫu không khí để quan trắc độc lập; đình chỉ hoạt động xả thải trái phép; buộc công ty bồi thường thiệt hại cho các hộ trồng lúa và nuôi cá; công khai kết quả kiểm tra cho nhân dân được biết.
Kèm theo đơn là danh sách chữ ký của các hộ dân và 12 bức ảnh chụp hiện trường.
Bắc Ninh, ngày 25 tháng 3 năm 2025. Thay mặt các hộ dân: Phạm Quốc Toản.""",
    # 3: veteran's benefits
    """ĐƠN ĐỀ NGHỊ
Kính gửi: Sở Nội vụ tỉnh Nghệ An.
Tôi là Hoàng Văn Thắng, sinh ngày 09/10/1952, thương binh hạng 3/4, CCCD 040052006218, hiện trú tại khối 7, phường Vinh Tân, tỉnh Nghệ An, số điện thoại 0238 3845 671.
Tôi nhập ngũ tháng 4 năm 1971, chiến đấu tại mặt trận Quảng Trị và bị thương ngày 17/8/1972. Năm 1994 tôi được giám định tỷ lệ tổn thương cơ thể 41 phần trăm. Từ năm 2023, sức khỏe tôi giảm sút nghiêm trọng, vết thương cũ ở chân trái tái phát nhiều lần và phải điều trị tại Bệnh viện Hữu nghị Đa khoa Nghệ An.
Ngày 20/6/2024, tôi đã nộp hồ sơ đề nghị giám định lại thương tật kèm theo bệnh án và giấy ra viện, nhưng đến nay đã hơn tám tháng vẫn chưa được giới thiệu đi giám định. Khoản trợ cấp hằng tháng của tôi cũng bị chậm chi trả hai tháng gần đây mà không được giải thích lý do.
Tôi kính đề nghị Sở Nội vụ xem xét, chỉ đạo giải quyết hồ sơ giám định lại cho tôi và kiểm tra việc chi trả trợ cấp ưu đãi người có công tại phường.
Tôi xin chân thành cảm ơn.
Nghệ An, ngày 01 tháng 3 năm 2025. Người làm đơn: Hoàng Văn Thắng.""",
    # 4: civil judgment enforcement
    """ĐƠN KHIẾU NẠI VỀ THI HÀNH ÁN DÂN SỰ
Kính gửi: Cục Thi hành án dân sự tỉnh Đồng Nai.
Tôi tên Võ Thị Mỹ Hạnh, sinh năm 1980, CCCD 075180012345, địa chỉ số 128 đường Phạm Văn Thuận, phường Tam Hiệp, tỉnh Đồng Nai, điện thoại 0903 778 899.
Theo Bản án số 215/2023/DS-PT ngày 28/11/2023 của Tòa án nhân dân tỉnh, ông Đặng Minh Khoa phải trả cho tôi số tiền 1.850.000.000 đồng cùng lãi chậm trả. Ngày 10/01/2024 tôi đã nộp đơn yêu cầu thi hành án và được ra Quyết định thi hành án số 742/QĐ-CCTHADS.
Tuy nhiên, đã hơn một năm, chấp hành viên chưa tiến hành xác minh điều kiện thi hành án một cách đầy đủ. Tôi được biết ông Khoa vẫn đứng tên một căn nhà tại phường Trảng Dài và một xe ô tô biển số 60A-456.78, nhưng các tài sản này chưa bị kê biên. Ngược lại, ông Khoa đang làm thủ tục chuyển nhượng căn nhà cho người thân.
Tôi đề nghị Cục Thi hành án dân sự kiểm tra việc tổ chức thi hành án, áp dụng ngay biện pháp ngăn chặn việc chuyển dịch tài sản và xem xét trách nhiệm của chấp hành viên được phân công.
Đồng Nai, ngày 14 tháng 4 năm 2025. Người khiếu nại: Võ Thị Mỹ Hạnh.""",
    # 5: illegal construction
    """ĐƠN PHẢN ÁNH
Kính gửi: Sở Xây dựng thành phố Đà Nẵng.
Tôi là Huỳnh Tấn Lộc, sinh năm 1971, CCCD số 048071003456, trú tại tổ 21, phường Hòa Khánh, thành phố Đà Nẵng, điện thoại 0935 246 810.
Từ đầu tháng 12 năm 2024, hộ ông Bùi Văn Nghĩa ở số nhà liền kề đã tự ý phá dỡ nhà cũ và xây dựng công trình năm tầng trên thửa đất số 317, tờ bản đồ số 12, trong khi giấy phép xây dựng chỉ cho phép ba tầng. Công trình lấn ra hành lang an toàn đường bộ khoảng 1,2 mét và đổ vật liệu chiếm dụng lòng đường kiệt 45 Âu Cơ, gây cản trở đi lại.
Trong quá trình thi công, tường nhà tôi bị nứt dài hơn hai mét, mái tôn bị thủng do vật liệu rơi từ trên cao. Gia đình tôi đã lập biên bản với tổ dân phố ngày 08/01/2025 nhưng chủ công trình không khắc phục.
Đề nghị cơ quan chức năng kiểm tra, đình chỉ thi công phần xây dựng sai phép, buộc tháo dỡ phần lấn chiếm và yêu cầu chủ công trình bồi thường thiệt hại cho gia đình tôi.
Đà Nẵng, ngày 22 tháng 01 năm 2025. Người phản ánh: Huỳnh Tấn Lộc.""",
    # 6: rural road
    """ĐƠN KIẾN NGHỊ
Kính gửi: Ủy ban nhân dân xã Tân Phú, tỉnh Đắk Lắk.
Chúng tôi là cử tri thôn 9, xã Tân Phú, đại diện là bà Đỗ Thị Thu Hà, sinh năm 1984, CCCD 066184007788, điện thoại 0905 321 654.
Tuyến đường liên thôn từ ngã ba Cây Si đến trường Tiểu học Kim Đồng dài khoảng 3,5 kilômét được đầu tư năm 2019 với tổng kinh phí 4,2 tỷ đồng. Chỉ sau hơn năm năm sử dụng, mặt đường đã bong tróc, xuất hiện nhiều ổ gà sâu từ 10 đến 20 xăng-ti-mét. Mùa mưa, nước ngập cả đoạn dốc gần cầu tràn, học sinh phải lội bùn đến lớp, đã có ba vụ té ngã xe máy gây thương tích.
Tại kỳ tiếp xúc cử tri ngày 16/10/2024, chúng tôi đã nêu ý kiến và được trả lời sẽ đưa vào kế hoạch sửa chữa năm 2025, nhưng đến nay chưa thấy triển khai. Người dân sẵn sàng đóng góp ngày công và tiền mặt theo khả năng.
Chúng tôi kiến nghị Ủy ban nhân dân xã sớm khảo sát, bố trí kinh phí duy tu tuyến đường, làm rõ chất lượng thi công của nhà thầu và công khai kế hoạch sửa chữa cho nhân dân được biết.
Đắk Lắk, ngày 09 tháng 5 năm 2025. Thay mặt cử tri thôn 9: Đỗ Thị Thu Hà.""",
    # 7: delayed land-use certificate, with Party member involvement
    """ĐƠN KHIẾU NẠI
Kính gửi: Ban Nội chính Tỉnh ủy Quảng Ngãi.
Tôi là Ngô Thanh Tùng, sinh năm 1979, CCCD số 051079002468, trú tại thôn An Hội, xã Nghĩa Hành, tỉnh Quảng Ngãi, số điện thoại 0914 135 792.
Năm 2022, tôi nhận chuyển nhượng hợp pháp thửa đất số 86, tờ bản đồ số 5, diện tích 320 mét vuông, hợp đồng đã được công chứng tại Văn phòng công chứng Phan Huy ngày 11/5/2022. Ngày 30/6/2022 tôi nộp hồ sơ đăng ký biến động tại Chi nhánh Văn phòng đăng ký đất đai nhưng đến nay, sau gần ba năm, tôi vẫn chưa được cấp giấy chứng nhận.
Mỗi lần đến hỏi, cán bộ tiếp nhận lại yêu cầu bổ sung một loại giấy tờ khác nhau, có lần gợi ý phải chi thêm 15 triệu đồng để được làm nhanh. Tôi đã có Đơn khiếu nại lần đầu ngày 07/8/2024 và được trả lời bằng Công văn số 389/VPĐK-CN ngày 25/9/2024, nhưng nội dung trả lời không đúng với sự việc.
Tôi đề nghị Ban Nội chính Tỉnh ủy chỉ đạo kiểm tra việc giải quyết hồ sơ, làm rõ dấu hiệu nhũng nhiễu của cán bộ và trả lời cho tôi bằng văn bản.
Quảng Ngãi, ngày 28 tháng 4 năm 2025. Người khiếu nại: Ngô Thanh Tùng.""",
]


def _font_path(font: str) -> Path:
    """Resolve a short font key (or an explicit path) to a TrueType file."""
    if font in FONTS:
        return FONTS[font]
    path = Path(font)
    if path.suffix.lower() in {".ttf", ".otf"} and path.exists():
        return path
    raise ValueError(f"unknown font {font!r}; use one of {sorted(FONTS)} or a .ttf path")


def _wrap(draw: ImageDraw.ImageDraw, paragraph: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap of one paragraph to ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in paragraph.split():
        candidate = f"{current} {word}" if current else word
        if current and draw.textlength(candidate, font=font) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def render_page(text: str, dpi: int = 300, font: str = "DejaVuSans", size_pt: float = 12, seed: int = 0) -> Image.Image:
    """Typeset ``text`` on a white A4 page (mode ``L``) at ``dpi``.

    Each line of ``text`` is a paragraph, word-wrapped between administrative margins. ``seed``
    varies the ink darkness and shifts the block by a few pixels, as different printers and
    feeders would; seed 0 gives pure black text at the nominal margins. Raises ``ValueError`` when
    the text does not fit on one page, so ground truth never silently loses lines.
    """
    rng = random.Random(seed)
    width_px = round(A4_INCHES[0] * dpi)
    height_px = round(A4_INCHES[1] * dpi)
    px_per_cm = dpi / 2.54
    jitter = 0 if seed == 0 else rng.randint(-dpi // 25, dpi // 25)
    left = round(MARGINS_CM["left"] * px_per_cm) + jitter
    right = width_px - round(MARGINS_CM["right"] * px_per_cm) + jitter
    top = round(MARGINS_CM["top"] * px_per_cm) + (0 if seed == 0 else rng.randint(0, dpi // 10))
    bottom = height_px - round(MARGINS_CM["bottom"] * px_per_cm)
    ink = 0 if seed == 0 else rng.randint(0, 60)

    size_px = round(size_pt * dpi / 72)
    face = ImageFont.truetype(str(_font_path(font)), size_px)
    page = Image.new("L", (width_px, height_px), 255)
    draw = ImageDraw.Draw(page)
    line_height = round(size_px * LINE_SPACING)
    y = top
    for paragraph in text.split("\n"):
        lines = _wrap(draw, paragraph, face, right - left)
        for line in lines:
            if y + line_height > bottom:
                raise ValueError(f"text does not fit on one A4 page at {size_pt} pt")
            draw.text((left, y), line, font=face, fill=ink)
            y += line_height
        y += round(line_height * PARAGRAPH_GAP)
    page.info["dpi"] = (dpi, dpi)
    return page


def _normalise(text: str) -> str:
    """NFC and collapse every whitespace run (line breaks included) to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def ground_truth(text: str) -> str:
    """The text as OCR should read it back from :func:`render_page`, whitespace-normalised."""
    return _normalise(text)


def cer(expected: str, actual: str) -> float:
    """Character error rate: Levenshtein distance / length of ``expected``, after NFC and whitespace
    normalisation (line wrapping is layout, not content). An empty ``expected`` gives 0.0 for an
    empty ``actual`` and 1.0 otherwise."""
    ref = _normalise(expected)
    hyp = _normalise(actual)
    if not ref:
        return 0.0 if not hyp else 1.0
    return Levenshtein.distance(ref, hyp) / len(ref)


def _page_dpi(img: Image.Image, default: int = 300) -> float:
    dpi = img.info.get("dpi")
    return float(dpi[0]) if dpi else float(default)


def damage(
    img: Image.Image,
    *,
    rotate: int = 0,
    skew: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    jpeg_quality: int | None = None,
    dpi: int | None = None,
    shading: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """Make a clean page look scanned, in the order a scanner would do it.

    * ``skew``: degrees counter-clockwise, page expanded with white so no text is cut;
    * ``rotate``: 0/90/180/270 degrees clockwise (a page fed sideways or upside down);
    * ``shading``: 0..1, uneven light as on a phone photo: brightness falls linearly from one
      corner (chosen by ``seed``) to ``1 - shading`` at the opposite one;
    * ``dpi``: resample to this resolution (the sensor's), from the page's ``info["dpi"]`` (300 if unset);
    * ``blur``: Gaussian blur radius in pixels (optics);
    * ``noise``: 0..1; Gaussian noise with sigma ``noise * 255`` plus salt-and-pepper on
      ``noise / 20`` of the pixels (dust, sensor noise);
    * ``jpeg_quality``: a JPEG round trip at this quality.

    Returns a new mode-``L`` image with ``info["dpi"]`` set to the resulting resolution.
    """
    if rotate % 90 != 0:
        raise ValueError("rotate must be a multiple of 90")
    src_dpi = _page_dpi(img)
    out = img.convert("L")
    if skew:
        out = out.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if rotate % 360:
        # Image.rotate turns counter-clockwise; transpose is exact (no resampling).
        out = out.transpose(
            {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}[
                rotate % 360
            ]
        )
    if shading:
        arr = np.asarray(out, dtype=np.float32)
        h, w = arr.shape
        corner = random.Random(seed).randrange(4)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        if corner & 1:
            xx = w - 1 - xx
        if corner & 2:
            yy = h - 1 - yy
        light = 1.0 - shading * np.sqrt(xx * xx + yy * yy) / math.hypot(w, h)
        out = Image.fromarray(np.clip(arr * light, 0, 255).astype(np.uint8))
    out_dpi = src_dpi
    if dpi and dpi != src_dpi:
        factor = dpi / src_dpi
        size = (max(1, round(out.width * factor)), max(1, round(out.height * factor)))
        out = out.resize(size, Image.Resampling.LANCZOS if factor < 1 else Image.Resampling.BICUBIC)
        out_dpi = float(dpi)
    if blur:
        out = out.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        arr = np.asarray(out, dtype=np.float32)
        arr = arr + rng.normal(0.0, noise * 255.0, arr.shape)
        specks = rng.random(arr.shape)
        amount = noise / 20.0
        arr[specks < amount / 2] = 0.0
        arr[specks > 1.0 - amount / 2] = 255.0
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    if jpeg_quality is not None:
        buf = io.BytesIO()
        out.save(buf, format="JPEG", quality=jpeg_quality)
        buf.seek(0)
        out = Image.open(buf)
        out.load()
        out = out.convert("L")
    out.info = {"dpi": (out_dpi, out_dpi)}  # nothing else survives a scan (no JFIF leftovers)
    return out


def scanned_pdf(images: Iterable[Image.Image], dpi: int = 300) -> bytes:
    """A PDF of page images only (no text layer), as a scanner would produce."""
    pages = [im.convert("L") if im.mode not in {"L", "RGB"} else im for im in images]
    if not pages:
        raise ValueError("scanned_pdf needs at least one page")
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", save_all=True, append_images=pages[1:], resolution=float(dpi))
    return buf.getvalue()


def text_pdf(pages_text: Sequence[str]) -> bytes:
    """A born-digital PDF: one A4 page per string (more if it overflows), with a real Unicode text layer (DejaVu Sans)."""
    from fpdf import FPDF  # dev-only dependency: imported lazily so the rest works without it

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=MARGINS_CM["bottom"] * 10)
    pdf.set_margins(left=MARGINS_CM["left"] * 10, top=MARGINS_CM["top"] * 10, right=MARGINS_CM["right"] * 10)
    pdf.add_font("DejaVuSans", fname=str(FONTS["DejaVuSans"]))
    pdf.set_font("DejaVuSans", size=12)
    for text in pages_text:
        pdf.add_page()
        for paragraph in text.split("\n"):
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def render_letter(text: str, dpi: int = 300, font: str = "DejaVuSans", size_pt: float = 12,
                  seed: int = 0) -> list[Image.Image]:
    """A letter of any length as A4 pages: paragraphs are packed greedily onto pages, a paragraph too long for
    one page is split by lines."""
    pages: list[str] = []
    current: list[str] = []
    paragraphs: list[str] = []
    for paragraph in text.split("\n"):  # a paragraph longer than a page is cut into 80-word pieces
        words = paragraph.split(" ")
        paragraphs += [" ".join(words[i:i + 80]) for i in range(0, len(words), 80)] or [""]
    for paragraph in paragraphs:
        trial = "\n".join([*current, paragraph])
        try:
            # a cheap fit test at low resolution, with room to spare for rounding at the real dpi and the
            # seed's shifted margins
            render_page(trial + "\nx\nx\nx", dpi=72, font=font, size_pt=size_pt)
            current.append(paragraph)
        except ValueError:
            if current:
                pages.append("\n".join(current))
            current = [paragraph]
    if current:
        pages.append("\n".join(current))
    return [render_page(page, dpi=dpi, font=font, size_pt=size_pt, seed=seed + i) for i, page in enumerate(pages)]

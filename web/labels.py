"""Vietnamese labels for codes shown in pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

STATUS = {
    "received": "Đã tiếp nhận",
    "queued": "Chờ xử lý",
    "ocr_running": "Đang nhận dạng",
    "ocr_done": "Đã nhận dạng",
    "failed": "Lỗi",
}
CHANNEL = {
    "post": "Bưu điện",
    "in_person": "Nộp trực tiếp",
    "reception": "Tiếp công dân",
    "agency": "Cơ quan chuyển đến",
    "email": "Thư điện tử",
    "press": "Báo chí",
    "deputy": "Đại biểu dân cử",
}
SOURCE = {"ocr": "Nhận dạng (OCR)", "pdf_text": "Lớp chữ PDF", "text": "Văn bản", "plain": "Văn bản",
          "mixed": "Hỗn hợp"}
ROLE = {"clerk": "Văn thư", "reviewer": "Người duyệt", "officer": "Chuyên viên", "leader": "Lãnh đạo",
        "admin": "Quản trị"}


VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving


def format_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, the way Vietnamese offices write dates; stored times (naive UTC) are shown in Vietnam time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")

TYPE = {"khieu_nai": "Khiếu nại", "to_cao": "Tố cáo", "kien_nghi": "Kiến nghị", "phan_anh": "Phản ánh"}
FIELD = {"dat_dai": "Đất đai, nhà ở", "chinh_sach": "Chế độ, chính sách", "tu_phap": "Tư pháp",
         "dang_doan_the": "Đảng, đoàn thể", "tham_nhung": "Tham nhũng", "cong_vu": "Công vụ", "khac": "Khác"}
FLAG = {"anonymous": "Nặc danh", "collective": "Đơn tập thể", "sent_to_many": "Gửi nhiều nơi", "mixed": "Nhiều nội dung"}
DOSSIER_STATUS = {"open": "Mới mở", "forwarded": "Đã chuyển", "in_progress": "Đang giải quyết", "resolved": "Đã giải quyết",
                  "archived": "Lưu hồ sơ"}
RESULT = {"dung": "Đúng", "sai": "Sai", "dung_mot_phan": "Đúng một phần", "rut_don": "Rút đơn", "dinh_chi": "Đình chỉ",
          "da_tra_loi": "Đã trả lời", "khac": "Khác"}
DUPLICATE_KIND = {"repeat": "Đơn trùng", "same_sender": "Cùng người gửi", "same_matter": "Cùng vụ việc"}

"""Labels for codes shown in pages: Vietnamese, translated when rendered (``lazy_gettext``: each value becomes the
current language's text when a page shows it). Outside a request they stay Vietnamese; code that hands a label to
anything but a template (a PDF, JSON) must take ``str()`` of it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from flask_babel import lazy_gettext

STATUS = {
    "received": lazy_gettext("Đã tiếp nhận"),
    "queued": lazy_gettext("Chờ xử lý"),
    "ocr_running": lazy_gettext("Đang nhận dạng"),
    "ocr_done": lazy_gettext("Đã nhận dạng"),
    "failed": lazy_gettext("Lỗi"),
}
CHANNEL = {
    "post": lazy_gettext("Bưu điện"),
    "in_person": lazy_gettext("Nộp trực tiếp"),
    "reception": lazy_gettext("Tiếp công dân"),
    "agency": lazy_gettext("Cơ quan chuyển đến"),
    "email": lazy_gettext("Thư điện tử"),
    "press": lazy_gettext("Báo chí"),
    "deputy": lazy_gettext("Đại biểu dân cử"),
}
SOURCE = {"ocr": lazy_gettext("Nhận dạng (OCR)"), "pdf_text": lazy_gettext("Lớp chữ PDF"),
          "text": lazy_gettext("Văn bản"), "plain": lazy_gettext("Văn bản"), "mixed": lazy_gettext("Hỗn hợp")}
ROLE = {"clerk": lazy_gettext("Văn thư"), "reviewer": lazy_gettext("Người duyệt"),
        "officer": lazy_gettext("Chuyên viên"), "leader": lazy_gettext("Lãnh đạo"), "admin": lazy_gettext("Quản trị")}


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

TYPE = {"khieu_nai": lazy_gettext("Khiếu nại"), "to_cao": lazy_gettext("Tố cáo"),
        "kien_nghi": lazy_gettext("Kiến nghị"), "phan_anh": lazy_gettext("Phản ánh")}
FIELD = {"dat_dai": lazy_gettext("Đất đai, nhà ở"), "chinh_sach": lazy_gettext("Chế độ, chính sách"),
         "tu_phap": lazy_gettext("Tư pháp"), "dang_doan_the": lazy_gettext("Đảng, đoàn thể"),
         "tham_nhung": lazy_gettext("Tham nhũng"), "cong_vu": lazy_gettext("Công vụ"), "khac": lazy_gettext("Khác")}
FLAG = {"anonymous": lazy_gettext("Nặc danh"), "collective": lazy_gettext("Đơn tập thể"),
        "sent_to_many": lazy_gettext("Gửi nhiều nơi"), "mixed": lazy_gettext("Nhiều nội dung")}
DOSSIER_STATUS = {"open": lazy_gettext("Mới mở"), "forwarded": lazy_gettext("Đã chuyển"),
                  "in_progress": lazy_gettext("Đang giải quyết"), "resolved": lazy_gettext("Đã giải quyết"),
                  "archived": lazy_gettext("Lưu hồ sơ")}
RESULT = {"dung": lazy_gettext("Đúng"), "sai": lazy_gettext("Sai"), "dung_mot_phan": lazy_gettext("Đúng một phần"),
          "rut_don": lazy_gettext("Rút đơn"), "dinh_chi": lazy_gettext("Đình chỉ"),
          "da_tra_loi": lazy_gettext("Đã trả lời"), "khac": lazy_gettext("Khác")}
DUPLICATE_KIND = {"repeat": lazy_gettext("Đơn trùng"), "same_sender": lazy_gettext("Cùng người gửi"),
                  "same_matter": lazy_gettext("Cùng vụ việc")}
# core.deadlines.DECISION_LABELS, for pages (the same codes and Vietnamese wording; a test keeps them in step)
DECISION = {"thu_ly": lazy_gettext("Thụ lý"), "chuyen_don": lazy_gettext("Chuyển đơn"),
            "huong_dan": lazy_gettext("Hướng dẫn"), "tra_lai": lazy_gettext("Trả lại đơn"),
            "luu_don": lazy_gettext("Lưu đơn"), "don_doc": lazy_gettext("Đôn đốc")}

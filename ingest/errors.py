"""Errors with a stable code and a clear message, for intake refusals and failures found later."""

from __future__ import annotations

# code -> Vietnamese message shown to staff (the English message travels in the exception and the API)
MESSAGES_VI: dict[str, str] = {
    "empty_file": "Tệp rỗng.",
    "unsupported_type": "Loại tệp không được hỗ trợ (chỉ nhận PDF, PNG, JPEG, TIFF, TXT).",
    "corrupt_pdf": "Tệp PDF bị hỏng hoặc không đầy đủ.",
    "encrypted_pdf": "Tệp PDF có mật khẩu, không đọc được.",
    "corrupt_image": "Tệp ảnh bị hỏng hoặc không đầy đủ.",
    "image_too_large": "Ảnh quá lớn (nghi là 'bom giải nén').",
    "too_many_pages": "Tệp có quá nhiều trang.",
    "file_too_large": "Tệp quá dung lượng cho phép.",
    "bad_text_encoding": "Tệp văn bản không phải UTF-8.",
    "bad_request": "Yêu cầu không hợp lệ.",
    "ocr_failed": "Không nhận dạng được chữ trên trang.",
    "worker_died": "Tiến trình xử lý bị dừng nhiều lần trên trang này.",
    "page_too_large": "Trang quá lớn để đọc (kích thước hoặc lượng chữ vượt giới hạn).",
    "storage_full": "Máy chủ đã hết chỗ lưu trữ: tệp chưa được nhận, xin gửi lại sau.",
}


class DonthuError(Exception):
    """Base class: ``code`` is stable for scripts, ``message`` says what is wrong in plain words."""

    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    @property
    def message_vi(self) -> str:
        return MESSAGES_VI.get(self.code, self.message)

    def as_dict(self) -> dict[str, str]:
        return {"error": self.message, "code": self.code, "message_vi": self.message_vi}


class IntakeError(DonthuError):
    """A file refused at intake: nothing is stored, nothing is queued."""

    code = "bad_request"


class PermanentPageError(DonthuError):
    """A page that can never be read (retrying will not help): the letter fails with this reason."""

    code = "ocr_failed"

"""Helpers for web tests: log in as a role, read CSRF tokens, and register letters run through the pipeline."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from ingest.dispatch import dispatch_new_letter
from ingest.intake import register_file
from ingest.services import Services
from models import User
from web.accounts import create_user, issue_token

PASSWORD = "mat-khau-1"

DENUNCIATION = (
    "ĐƠN TỐ CÁO\nKính gửi: Ban Nội chính Tỉnh ủy\n"
    "Tôi tên là Trần Thị Mật, sinh năm 1975, CCCD số 001175012345, trú tại số 7 đường Hoàng Diệu, "
    "phường Phước Ninh, điện thoại 0905 111 222.\n"
    "Tôi tố cáo ông Nguyễn Văn Cường, Chủ tịch UBND phường, có hành vi nhận tiền của người dân để cấp "
    "giấy phép xây dựng sai quy định, lợi dụng chức vụ chiếm đoạt tiền hỗ trợ.\n"
    "Đề nghị các cơ quan có thẩm quyền điều tra, xử lý nghiêm.\nNgười tố cáo\nTrần Thị Mật\n")
COMPLAINT = (
    "ĐƠN KHIẾU NẠI\nKính gửi: Chủ tịch UBND tỉnh\n"
    "Tôi là Phạm Văn Khánh, trú tại thôn Phú Sơn, xã Hòa Khương.\n"
    "Tôi khiếu nại Quyết định số 1234/QĐ-UBND ngày 05/3/2026 của UBND tỉnh về việc thu hồi đất của gia đình "
    "tôi để làm dự án khu dân cư, vì mức bồi thường quá thấp. Đề nghị hủy quyết định và bồi thường thỏa đáng.\n"
    "Người khiếu nại\nPhạm Văn Khánh\n")


def app_client(svc: Services) -> FlaskClient:
    """A test client of a fresh app on ``svc``'s settings."""
    from web.app import create_app

    app = create_app(svc.settings)
    app.config["TESTING"] = True
    return app.test_client()


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD):  # noqa: ANN201
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(page)})


def make_user(svc: Services, role: str, email: str | None = None, *, token: bool = False) -> tuple[int, str | None]:
    """A user of ``role`` (password PASSWORD); with ``token`` also a personal API token."""
    with svc.db.write() as session:
        user = create_user(session, email or f"{role}@example.vn", PASSWORD, role, full_name=f"Cán bộ {role}")
        session.flush()
        return user.id, issue_token(session, user, "test") if token else None


def make_letter(svc: Services, text: str, name: str = "don.txt", user_id: int | None = None) -> int:
    """A letter registered (as ``user_id``) and run through the whole pipeline in this process."""
    result = register_file(svc, text.encode(), name, user_id=user_id)
    dispatch_new_letter(svc, result.letter_id, result.job_id, sync=True)
    return result.letter_id


def user_id_of(svc: Services, email: str) -> int:
    with svc.db.read() as session:
        return session.query(User).filter_by(email=email).one().id

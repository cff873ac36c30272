"""Handler agencies: the catalog from the domain notes, editable by an admin; codes are stable."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base

# (code, name, typical matters) — ../shared/domain.md, "Handler agencies"
CATALOG: tuple[tuple[str, str, str], ...] = (
    ("UBKT_TU", "Ủy ban Kiểm tra Tỉnh ủy", "vi phạm của đảng viên, tổ chức đảng"),
    ("BNC_TU", "Ban Nội chính Tỉnh ủy", "tham nhũng, tiêu cực; hoạt động của công an, viện kiểm sát, tòa án; vụ việc phức tạp kéo dài"),
    ("BTC_TU", "Ban Tổ chức Tỉnh ủy", "bổ nhiệm, quy hoạch, chính sách cán bộ, tổ chức bộ máy"),
    ("BTGDV_TU", "Ban Tuyên giáo và Dân vận Tỉnh ủy", "đông người, tôn giáo, dân tộc, tâm trạng xã hội"),
    ("VP_TU", "Văn phòng Tỉnh ủy", "việc chung của cơ quan Đảng không thuộc nơi khác"),
    ("UBND_TINH", "UBND tỉnh", "quyết định hành chính cấp tỉnh: thu hồi đất, bồi thường, tái định cư, dự án của tỉnh"),
    ("THANHTRA", "Thanh tra tỉnh", "khiếu nại, tố cáo cán bộ các sở, ngành; quản lý nhà nước"),
    ("CONGAN", "Công an tỉnh", "tội phạm, tố giác tội phạm, đe dọa, bạo lực, trật tự công cộng"),
    ("VKSND", "Viện kiểm sát nhân dân tỉnh", "điều tra, truy tố, tạm giam"),
    ("TAND", "Tòa án nhân dân tỉnh", "bản án, xét xử, đề nghị giám đốc thẩm"),
    ("THADS", "Thi hành án dân sự tỉnh", "thi hành bản án dân sự"),
    ("SO_NNMT", "Sở Nông nghiệp và Môi trường", "hồ sơ địa chính, giấy chứng nhận quyền sử dụng đất, môi trường, ô nhiễm"),
    ("SO_NOIVU", "Sở Nội vụ", "lao động, tiền lương, bảo hiểm xã hội, chính sách người có công, cựu chiến binh"),
    ("SO_XD", "Sở Xây dựng", "trật tự xây dựng, công trình trái phép, đường sá, giao thông, quy hoạch đô thị"),
    ("UBND_XA", "UBND xã/phường", "việc ở cơ sở: tranh chấp hàng xóm, cán bộ xã, đường và đất ở địa phương"),
)


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def seed_catalog(session: Session) -> int:
    """Insert the catalog agencies that are missing (existing rows, possibly edited by an admin, are kept)."""
    known = set(session.scalars(select(Agency.code)))
    added = 0
    for order, (code, name, description) in enumerate(CATALOG):
        if code not in known:
            session.add(Agency(code=code, name=name, description=description, sort_order=order))
            added += 1
    return added

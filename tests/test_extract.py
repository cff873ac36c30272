"""Extraction of the facts a clerk copies by hand, on letters written for these tests."""

from __future__ import annotations

from classify.extract import extract

FORMAL = """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc

ĐƠN KHIẾU NẠI

Kính gửi: Chủ tịch UBND tỉnh Nghệ An
Đồng kính gửi: Ban Nội chính Tỉnh ủy Nghệ An

Tôi tên là: Hồ Sỹ Quang, sinh năm 1959, trú tại xóm 4, xã Diễn Châu, tỉnh Nghệ An. Điện thoại: 0912.334.556.
Số CCCD: 040059001234.

Tôi khiếu nại Quyết định số 2231/QĐ-UBND ngày 05/6/2026 của Chủ tịch UBND xã Diễn Châu và Thông báo số 87/TB-UBND
về việc thu hồi đất. Việc áp dụng Nghị định số 102/2024/NĐ-CP là không đúng với trường hợp của tôi.
Tôi cũng tố cáo ông Trần Văn Bình, cán bộ địa chính xã, có hành vi nhận tiền của các hộ.

Diễn Châu, ngày 20 tháng 6 năm 2026
Người khiếu nại
(ký, ghi rõ họ tên)
Hồ Sỹ Quang
"""

COLLECTIVE = """Kính gửi: UBND phường Hòa Khánh

Chúng tôi là các hộ dân tổ 12, phường Hòa Khánh, phản ánh việc bãi rác tự phát gây ô nhiễm.

Hòa Khánh, ngày 3/10/2026
Các hộ ký tên:
1. Phan Văn Lợi
2. Đoàn Thị Mai
3. Lê Văn Tâm
4. Trương Thị Hồng
5. Nguyễn Văn Sáu
(cùng 12 chữ ký khác trong danh sách kèm theo)
"""

ANONYMOUS = """Kính gửi: Ủy ban Kiểm tra Tỉnh ủy

Chúng tôi là một nhóm cán bộ đang công tác tại xã, vì sợ bị trù dập nên xin giấu tên.
Ông Lường Văn Khánh, Bí thư Đảng ủy xã, dùng xe công đi việc riêng, nhận tiền của nhà thầu.
Đề nghị kiểm tra, xử lý nghiêm.

Tháng 9 năm 2026
"""


def test_formal_letter_facts() -> None:
    facts = extract(FORMAL)
    assert facts.sender == "Hồ Sỹ Quang" and not facts.anonymous
    assert facts.address.startswith("xóm 4, xã Diễn Châu")
    assert facts.phones == ["0912.334.556"] and facts.citizen_ids == ["040059001234"]
    assert facts.decision_numbers == ["2231/QĐ-UBND", "87/TB-UBND"]  # the decree is a regulation, not a decision
    assert facts.letter_date == "2026-06-20"
    assert facts.sent_to_many and facts.addressees[0] == "Chủ tịch UBND tỉnh Nghệ An"
    assert [a["name"] for a in facts.accused] == ["Trần Văn Bình"]
    assert facts.signers == 1


def test_collective_letter_counts_listed_and_attached_signers() -> None:
    facts = extract(COLLECTIVE)
    assert facts.sender == "Phan Văn Lợi"
    assert facts.signers == 17 and not facts.sent_to_many
    assert facts.letter_date == "2026-10-03"


def test_anonymous_letter() -> None:
    facts = extract(ANONYMOUS)
    assert facts.anonymous and facts.sender is None and facts.signers == 1
    assert [a["name"] for a in facts.accused] == ["Lường Văn Khánh"]
    assert facts.accused[0]["position"].startswith("Bí thư Đảng ủy xã")


def test_informal_lowercase_note_and_ethnic_names() -> None:
    note = "gửi UBND xã\n\ntôi là K'Brơi ở buôn Đạ Tông, sđt 0369 112 233. nhà tôi bị nước lũ cuốn mất chuồng bò.\n"
    facts = extract(note)
    assert facts.sender == "K'Brơi" and facts.phones == ["0369 112 233"]
    assert extract("Tôi là Y Kông Mlô, trưởng buôn Ea Sar.\n" + "x" * 20).sender == "Y Kông Mlô"


def test_child_writing_for_a_parent_names_the_parent() -> None:
    text = "Kính gửi: Sở Nội vụ\n\nCon là Lê Văn Tú, viết thay mẹ. Mẹ tôi là bà Đinh Thị Lành, 82 tuổi, vợ liệt sĩ.\n"
    assert extract(text).sender == "Đinh Thị Lành"

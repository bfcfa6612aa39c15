"""What an SMS costs: GSM-7 or UCS-2, septets or code units, segments packed as phones
pack them (an escape pair or a surrogate pair never split), and "không dấu"."""

from __future__ import annotations

import unicodedata

import pytest

from ecabinet.notify.encoding import khong_dau, measure, prepare

# Real messages of the kind provinces send, with the encoding a phone would choose and the
# segments it would take, with diacritics and without.
INVITATION = (
    "Văn phòng Tỉnh ủy trân trọng kính mời đ/c Nguyễn Thị Hường dự Hội nghị Ban Thường vụ "
    "lúc 08:00 20/12/2026 tại Phòng họp số 1. Tài liệu: http://10.0.0.5:5000/p/"
    "AbCdEfGhIjKlMnOpQrStUv"
)
TABLE = [
    # text, strip, encoding, units, segments
    ("Hop BTV luc 8h ngay 20/12", False, "gsm7", 25, 1),
    ("Họp BTV lúc 8h ngày 20/12", False, "ucs2", 25, 1),
    ("Họp BTV lúc 8h ngày 20/12", True, "gsm7", 25, 1),
    (INVITATION, False, "ucs2", 181, 3),
    (INVITATION, True, "gsm7", 181, 2),
    ("Hoãn họp Ban Chấp hành – lý do: “thời tiết xấu”", False, "ucs2", 47, 1),
    ("Hoãn họp Ban Chấp hành – lý do: “thời tiết xấu”", True, "gsm7", 47, 1),
    # à è é ì ò ù É are in GSM-7: a message with only these accents stays GSM-7
    ("Gửi về địa chỉ", False, "ucs2", 14, 1),
    ("Café à la carte, élève", False, "gsm7", 22, 1),
    # the extension table costs two septets each
    ("Phòng [A] {B} ~ | €", True, "gsm7", 26, 1),
]


@pytest.mark.parametrize(("text", "strip", "encoding", "units", "segments"), TABLE)
def test_real_messages(text: str, strip: bool, encoding: str, units: int, segments: int) -> None:
    measured = prepare(text, strip_diacritics=strip)
    assert (measured.encoding, measured.units, measured.segments) == (encoding, units, segments)
    if encoding == "gsm7":  # an independent count: the codec's own bytes are septets
        assert units == len(measured.text.encode("gsm03.38"))
    else:
        assert units == len(measured.text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        # 306 septets, but the { cannot straddle parts: 152 | { + 151 | 1
        ("a" * 152 + "{" + "a" * 152, 3),
        ("ạ" * 70, 1),
        ("ạ" * 71, 2),
        ("ạ" * 134, 2),
        ("ạ" * 135, 3),
        # an emoji is a surrogate pair: two units, never split
        ("ạ" * 68 + "😀", 1),
        ("ạ" * 66 + "😀" + "ạ" * 3, 2),
        ("ạ" * 66 + "😀" + "ạ" * 67, 3),
    ],
)
def test_segment_edges(text: str, segments: int) -> None:
    assert measure(text).segments == segments


def test_nfd_text_is_counted_as_nfc() -> None:
    nfc = "Hội nghị tổng kết công tác Đảng năm 2026"
    nfd = unicodedata.normalize("NFD", nfc)
    assert len(nfd) > len(nfc)
    assert measure(nfd) == measure(nfc)


@pytest.mark.parametrize(
    ("text", "bare"),
    [
        ("Đồng chí Nguyễn Thị Hường", "Dong chi Nguyen Thi Huong"),
        (
            "Phó Bí thư Thường trực – Tỉnh ủy Quảng Nam",
            "Pho Bi thu Thuong truc - Tinh uy Quang Nam",
        ),
        ("“Họp gấp” lúc 14:00… ‘khẩn’", "\"Hop gap\" luc 14:00... 'khan'"),
        ("ĐẠI HỘI ĐẢNG BỘ TỈNH LẦN THỨ XVIII", "DAI HOI DANG BO TINH LAN THU XVIII"),
        ("Ưu tiên ơn huệ ỹ ỵ", "Uu tien on hue y y"),
    ],
)
def test_khong_dau(text: str, bare: str) -> None:
    assert khong_dau(text) == bare
    assert measure(bare).encoding == "gsm7"

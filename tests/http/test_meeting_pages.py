"""The secretary's meeting pages: details written as people write them (dd/mm/yyyy hh:mm),
co-secretaries, a clear conflict when two people edit at once, the lifecycle buttons, and a
meeting list that searches without diacritics, filters and pages."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient

from ecabinet.actor import Role
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.meetings import service as meetings
from tests.conftest import Login
from tests.factories import MeetingFixture, make_attendee, make_document, make_meeting, make_user

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_a_meeting_is_created_with_vietnamese_dates_and_a_co_secretary(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    secretary = make_user(app_db, Role.SECRETARY)
    colleague = make_user(app_db, Role.SECRETARY)
    csrf = login.as_staff(secretary)
    form = client.get("/meetings/new").get_data(as_text=True)
    assert 'type="datetime-local"' not in form  # the browser's own picker speaks its language
    assert "ngày/tháng/năm giờ:phút" in form
    assert f'value="{colleague.id}"' in form
    created = client.post(
        "/meetings/new",
        data={
            "csrf_token": csrf,
            "title": "Họp Ban Thường vụ tháng 12",
            "kind": "Ban Thường vụ",
            "organiser": "Văn phòng Tỉnh ủy",
            "location": "Phòng họp số 2",
            "starts_at": "20/12/2026 08:00",
            "ends_at": "20/12/2026 11h30",
            "confidentiality": "mat",
            "secretary_ids": [str(colleague.id)],
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    meeting_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with app_db.unit_of_work(write=False) as session:
        meeting = meetings.get_meeting(session, meeting_id)
        assert meeting.starts_at == datetime(2026, 12, 20, 8, 0, tzinfo=HANOI)
        assert meeting.ends_at == datetime(2026, 12, 20, 11, 30, tzinfo=HANOI)
        assert meeting.confidentiality == "mat"
        assert meeting.secretary_ids == {secretary.id, colleague.id}
    page = client.get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Ban Thường vụ" in page
    assert "Mật" in page
    assert 'value="20/12/2026 08:00"' in page


def test_a_wrong_date_or_an_end_before_the_start_is_explained_and_the_form_kept(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    secretary = make_user(app_db, Role.SECRETARY)
    csrf = login.as_staff(secretary)
    for starts, ends, field_message in (
        ("32/12/2026 08:00", "", "Thời gian bắt đầu không đúng dạng ngày giờ"),
        ("20/12/2026 08:00", "20/12/2026 07:00", "Thời gian kết thúc phải sau thời gian bắt đầu."),
    ):
        answer = client.post(
            "/meetings/new",
            data={"csrf_token": csrf, "title": "Hội nghị", "starts_at": starts, "ends_at": ends},
        )
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert field_message in page
        assert f'value="{starts}"' in page


def test_a_second_secretary_saving_an_older_form_gets_a_conflict_not_an_overwrite(
    app: Flask, client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    csrf = login.as_staff(meeting.secretary)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', page)
    assert revision is not None
    base = {"csrf_token": csrf, "title": "Tên mới", "revision": revision.group(1)}
    assert client.post(f"/meetings/{meeting.id}/edit", data=base).status_code == 302
    stale = client.post(f"/meetings/{meeting.id}/edit", data={**base, "title": "Tên khác"})
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Người khác vừa sửa cuộc họp này" in text
    assert 'value="Tên khác"' in text  # what was typed is kept


def test_the_lifecycle_buttons_publish_and_archive(
    client: FlaskClient, login: Login, meeting: MeetingFixture, app_db: Database
) -> None:
    csrf = login.as_staff(meeting.secretary)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/meetings/{meeting.id}/publish" in page
    assert f"/meetings/{meeting.id}/archive" not in page
    published = client.post(f"/meetings/{meeting.id}/publish", data={"csrf_token": csrf})
    assert published.status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Đã công bố cuộc họp." in page
    assert f"/meetings/{meeting.id}/unpublish" in page
    refused = client.post(f"/meetings/{meeting.id}/archive", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert "Không thể chuyển cuộc họp" in refused.get_data(as_text=True)
    assert client.post(f"/meetings/{meeting.id}/publish").status_code == 400  # no CSRF token


def test_the_list_searches_without_diacritics_filters_and_pages(
    client: FlaskClient, login: Login, app_db: Database
) -> None:
    secretary = make_user(app_db, Role.SECRETARY)
    first = make_meeting(app_db, secretary=secretary, title="Họp Ban Thường vụ")
    for n in range(3):
        make_meeting(app_db, secretary=secretary, title=f"Hội nghị số {n}")
    login.as_staff(secretary)
    found = client.get("/meetings?q=thuong+vu").get_data(as_text=True)
    assert "Họp Ban Thường vụ" in found
    assert "Hội nghị số" not in found
    assert client.get("/meetings?status=archived").get_data(as_text=True).count("<tr>") == 0
    paged = client.get("/meetings?per_page=2").get_data(as_text=True)
    assert "4 cuộc họp" in paged
    assert "trang 1/2" in paged
    assert "Trang sau" in paged
    bad = client.get("/meetings?date_from=31/02/2026")
    assert bad.status_code == 422
    assert "Từ ngày" in bad.get_data(as_text=True)
    assert f"/meetings/{first.id}" in client.get("/meetings?date_from=01/01/2026").get_data(
        as_text=True
    )


def test_two_secretaries_editing_one_agenda_item_the_second_gets_a_conflict(
    client: FlaskClient, login: Login, meeting: MeetingFixture
) -> None:
    item_id = meeting.item_ids[0]
    csrf = login.as_staff(meeting.secretary)
    form = client.get(f"/agenda/{item_id}/edit").get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', form)
    assert revision is not None
    first = {"csrf_token": csrf, "title": "Khai mạc", "revision": revision.group(1)}
    assert client.post(f"/agenda/{item_id}/edit", data=first).status_code == 302
    second = client.post(f"/agenda/{item_id}/edit", data={**first, "title": "Bế mạc"})
    assert second.status_code == 409
    page = second.get_data(as_text=True)
    assert "Người khác vừa sửa nội dung này" in page
    assert 'value="Bế mạc"' in page
    api = client.patch(
        f"/api/v1/agenda/{item_id}",
        json={"title": "Bế mạc", "revision": int(revision.group(1))},
        headers={"X-CSRFToken": csrf},
    )
    assert api.status_code == 409
    assert api.json["error"]["code"] == "edit_conflict"


def test_several_pdfs_at_once_and_one_refused_does_not_stop_the_others(
    client: FlaskClient, login: Login, meeting: MeetingFixture, app_db: Database
) -> None:
    from ecabinet.documents.service import list_documents
    from tests.factories import sample_pdf

    csrf = login.as_staff(meeting.secretary)
    files = [
        (io.BytesIO(sample_pdf("Báo cáo chính trị")), "bao-cao.pdf"),
        (io.BytesIO(b"day khong phai PDF"), "gia-mao.pdf"),
        (io.BytesIO(sample_pdf("Tờ trình")), "to-trinh.pdf"),
    ]
    answer = client.post(
        f"/meetings/{meeting.id}/documents", data={"csrf_token": csrf, "file": files}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Đã tải lên 2 tài liệu" in page
    assert "“gia-mao.pdf”" in page
    with app_db.unit_of_work(write=False) as session:
        assert sorted(d.filename for d in list_documents(session, meeting.id)) == [
            "bao-cao.pdf",
            "to-trinh.pdf",
        ]
    none = client.post(
        f"/meetings/{meeting.id}/documents",
        data={
            "csrf_token": csrf,
            "file": [(io.BytesIO(b"x"), "a.pdf"), (io.BytesIO(b"y"), "b.pdf")],
        },
    )
    assert none.status_code == 422
    assert "Không tệp nào được nhận" in none.get_data(as_text=True)


def test_every_label_of_the_workspace_finds_its_own_input(
    client: FlaskClient, login: Login, app_db: Database, app_storage: Storage
) -> None:
    """The agenda, document and attendee forms share one page: no id twice, and every
    label's `for` names an element that exists."""
    meeting = make_meeting(app_db)
    make_document(app_db, app_storage, meeting)
    make_attendee(app_db, meeting)
    login.as_staff(meeting.secretary)
    html = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    missing = set(re.findall(r'\sfor="([^"]+)"', html)) - set(ids)
    assert missing == set()

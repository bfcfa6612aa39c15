"""Per-viewer state against a real server: two delegates of one meeting, documents for one of
them only; each sees its own documents, live, and a document for one never reaches the
other, not in a push, not through the file URL."""

from __future__ import annotations

import time

import pytest
import requests

from ecabinet.db import Database
from tests.factories import make_attendee, make_meeting, make_token, sample_pdf
from tests.system.test_realtime_server import Tablet, api_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.system


def upload(
    server: ServerProcess, meeting_id: int, token: dict[str, str], title: str, **fields: str
) -> int:
    response = requests.post(
        f"{server.url}/api/v1/meetings/{meeting_id}/documents",
        files={"file": (f"{title}.pdf", sample_pdf(title), "application/pdf")},
        data={"title": title, **fields},
        headers=token,
        timeout=20,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def titles(state: dict[str, object]) -> list[str]:
    return [d["title"] for d in state["documents"]]  # type: ignore[attr-defined]


def test_each_delegate_sees_only_its_documents_live(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=2)
    an = make_attendee(database, meeting, name="Nguyễn Văn An")
    binh = make_attendee(database, meeting, name="Trần Thị Bình")
    an_token, binh_token = make_token(database, meeting, an), make_token(database, meeting, binh)
    tablet_an, tablet_binh = Tablet(live_server.url, an_token), Tablet(live_server.url, binh_token)
    secretary = api_token(live_server, meeting.secretary.username)
    try:
        assert tablet_an.join(meeting.id)["state"]["documents"] == []
        assert tablet_binh.join(meeting.id)["state"]["documents"] == []
        upload(live_server, meeting.id, secretary, "Chương trình hội nghị")
        tablet_an.wait_for(lambda s: titles(s) == ["Chương trình hội nghị"], timeout=15)
        tablet_binh.wait_for(lambda s: titles(s) == ["Chương trình hội nghị"], timeout=15)
        secret_id = upload(
            live_server,
            meeting.id,
            secretary,
            "Tờ trình nhân sự",
            audience="chosen",
            attendee_ids=str(an),
        )
        tablet_an.wait_for(
            lambda s: titles(s) == ["Chương trình hội nghị", "Tờ trình nhân sự"], timeout=15
        )
        # Then one more change everyone sees, so Bình's tablet has had every push there was.
        requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/live/start",
            headers=api_token(live_server, meeting.chair.username),
            timeout=10,
        ).raise_for_status()
        tablet_binh.wait_for(lambda s: s["status"] == "live", timeout=10)
        time.sleep(0.3)
        assert all("Tờ trình nhân sự" not in titles(s) for s in tablet_binh.states)
        assert tablet_an.states[-1]["documents"][1]["id"] == secret_id
        assert "restricted" not in tablet_an.states[-1]["documents"][1]  # staff-only detail
        # The other paths to the same bytes say the same.
        binh_synced = tablet_binh.client.call("meeting:sync", {"meeting_id": meeting.id})
        assert titles(binh_synced["state"]) == ["Chương trình hội nghị"]
        with requests.Session() as browser:
            assert browser.get(f"{live_server.url}/p/{binh_token}", timeout=10).ok
            refused = browser.get(f"{live_server.url}/documents/{secret_id}/file", timeout=10)
            assert refused.status_code == 404
        with requests.Session() as browser:
            assert browser.get(f"{live_server.url}/p/{an_token}", timeout=10).ok
            allowed = browser.get(f"{live_server.url}/documents/{secret_id}/file", timeout=10)
            assert allowed.status_code == 200
            assert allowed.content.startswith(b"%PDF-")
    finally:
        tablet_an.close()
        tablet_binh.close()

"""While the server checks a 300-page PDF (a job in a child process), the hub keeps answering:
/healthz answers and every tablet gets every push. Figures: bench/RESULTS.md; here only that
they are answered."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from ecabinet.db import Database
from ecabinet.documents.pdf import text_pdf
from tests.factories import make_attendee, make_meeting, make_token
from tests.system.test_realtime_server import Tablet, api_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.system
TABLETS = 30


def test_pushes_and_health_checks_are_answered_while_a_big_pdf_is_checked(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database, items=4)
    tokens = [
        make_token(database, meeting, make_attendee(database, meeting, name=f"Đại biểu {n}"))
        for n in range(TABLETS)
    ]
    big = text_pdf("Báo cáo chính trị", ["Nội dung báo cáo, đoạn văn rất dài. " * 12] * 1800)
    tablets = [Tablet(live_server.url, token) for token in tokens]
    secretary = api_token(live_server, meeting.secretary.username)
    chair = api_token(live_server, meeting.chair.username)
    try:
        for tablet in tablets:
            assert tablet.join(meeting.id)["ok"]
        uploaded = requests.post(
            f"{live_server.url}/api/v1/meetings/{meeting.id}/documents",
            files={"file": ("bao-cao.pdf", big, "application/pdf")},
            headers=secretary,
            timeout=30,
        )
        assert uploaded.status_code == 201, uploaded.text
        document_url = f"{live_server.url}/api/v1/documents/{uploaded.json()['id']}"
        health: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            with requests.Session() as http:
                while not stop.is_set():
                    started = time.monotonic()
                    assert http.get(f"{live_server.url}/healthz", timeout=10).status_code == 200
                    health.append(time.monotonic() - started)

        prober = threading.Thread(target=probe)
        prober.start()
        versions = []
        try:
            for action in ("start", "next", "previous", "next"):
                answer = requests.post(
                    f"{live_server.url}/api/v1/meetings/{meeting.id}/live/{action}",
                    headers=chair,
                    timeout=10,
                )
                assert answer.status_code == 200, answer.text
                versions.append(answer.json()["version"])
            still = requests.get(document_url, headers=secretary, timeout=10).json()
            checked_during = still["status"] == "processing"
            for tablet in tablets:  # every tablet got every push
                for version in versions:
                    tablet.wait_for(lambda s, v=version: s["version"] >= v, timeout=10)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status = requests.get(document_url, headers=secretary, timeout=10).json()["status"]
                if status != "processing":
                    break
                time.sleep(0.2)
        finally:
            stop.set()
            prober.join(timeout=20)
        assert status == "ready"
        assert checked_during, "the check was over before the controls: nothing was tested"
        assert health, "no health check was answered"
        pushed = tablets[0].wait_for(lambda s: len(s["documents"]) == 1, timeout=10)
        assert pushed["documents"][0]["page_count"] >= 300
    finally:
        for tablet in tablets:
            tablet.close()

"""Uploads as HTTP clients really send them, against the real eventlet server: chunked
bodies (no Content-Length) are read, and bounded like any other."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ecabinet.db import Database
from tests.factories import make_meeting, sample_pdf
from tests.system.test_realtime_server import api_token
from tests.tools import ServerProcess

pytestmark = pytest.mark.system
BOUNDARY = "ecabinet-boundary"


def chunked_body(pdf: bytes, padding_mb: int = 0) -> Iterator[bytes]:
    """A generator body: requests sends it with Transfer-Encoding: chunked."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="Tờ trình.pdf"'
        "\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode()
    yield pdf
    for _ in range(padding_mb):
        yield b"0" * (1024 * 1024)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def post_chunked(server: ServerProcess, meeting_id: int, token: dict[str, str], body: Any) -> Any:
    return requests.post(
        f"{server.url}/api/v1/meetings/{meeting_id}/documents",
        data=body,
        headers={**token, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=60,
    )


def test_a_chunked_upload_is_read(database: Database, live_server: ServerProcess) -> None:
    meeting = make_meeting(database)
    token = api_token(live_server, meeting.secretary.username)
    response = post_chunked(live_server, meeting.id, token, chunked_body(sample_pdf()))
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "Tờ trình.pdf"


def test_a_chunked_upload_over_the_limit_gets_a_size_error(
    database: Database, live_server: ServerProcess
) -> None:
    meeting = make_meeting(database)
    token = api_token(live_server, meeting.secretary.username)
    response = post_chunked(live_server, meeting.id, token, chunked_body(b"%PDF-1.7\n", 60))
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "upload_too_large"

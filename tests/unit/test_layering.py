"""Services load without Flask or Socket.IO: the CLI, workers and tests can use them bare."""

from __future__ import annotations

import subprocess
import sys

from tests.tools import ROOT

SERVICES = [
    "ecabinet.auth.service",
    "ecabinet.meetings.service",
    "ecabinet.agenda.service",
    "ecabinet.attendees.service",
    "ecabinet.documents.service",
    "ecabinet.documents.upload",
    "ecabinet.live.service",
    "ecabinet.live.state",
    "ecabinet.pickup.service",
    "ecabinet.demo",
]


def test_services_import_no_web_framework() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in SERVICES)
        + "bad = sorted(m for m in ('flask', 'flask_socketio', 'socketio', 'werkzeug',"
        " 'eventlet', 'gevent') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

"""What the printing routes share: asking with the configured public address, and sending
a ready file."""

from __future__ import annotations

import io

from flask import current_app, send_file
from werkzeug.wrappers import Response

from ecabinet.actor import Actor
from ecabinet.documents.http import storage
from ecabinet.printing import service
from ecabinet.printing.models import PrintKind, Printout
from ecabinet.web import database


def request_printout(
    actor: Actor,
    meeting_id: int,
    kind: PrintKind,
    *,
    attendee_ids: list[int] | None = None,
    reissue: bool = False,
) -> Printout:
    """Printed codes must open from the tablets whoever asked: only the configured public
    address is used, never the address this request came to."""
    with database().unit_of_work() as db_session:
        return service.request_printout(
            db_session,
            actor=actor,
            meeting_id=meeting_id,
            kind=kind,
            public_url=str(current_app.config["PUBLIC_URL"]),
            attendee_ids=attendee_ids,
            reissue=reissue,
        )


def send_printout(actor: Actor, printout_id: int) -> Response:
    with database().unit_of_work() as db_session:  # writes the audit row of a card download
        data, name = service.open_printout(
            db_session, storage(), actor=actor, printout_id=printout_id
        )
    # Read whole (a printout is a few MB; 500 cards are under 0.5 MB) and unsealed: no file
    # handle is left to a client that never reads the body.
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        download_name=name,
        as_attachment=True,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response

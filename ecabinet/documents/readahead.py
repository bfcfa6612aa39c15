"""Documents read ahead by tablets: the PDF at an address that names its content.

Service workers and Cache Storage need HTTPS, and the agencies' LANs often run plain HTTP; the
browser's HTTP cache works on both. So a tablet fetches every document it may read as soon as
it opens the meeting, at /documents/<id>/v/<sha256>, served as immutable for a year: when the
Wi-Fi drops, the same address is answered from the tablet's cache. A new revision has a new
address, so nothing stale is ever read. Mật / Tối mật documents have no such address (a
cached copy would outlive a revoked card) and are read online only.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request
from werkzeug.wrappers import Response

from ecabinet.actor import Actor
from ecabinet.documents import access, office
from ecabinet.documents.http import send_stored, starts_a_reading, viewable, viewer_pdf
from ecabinet.errors import NotFound
from ecabinet.permissions import Perm
from ecabinet.timeutil import utcnow
from ecabinet.web import actor_or_401, cached_by_url, database, requires

bp = Blueprint("document_readahead", __name__)

LONGEST = timedelta(days=365)
NO_END = timedelta(days=1)  # a staff session has no fixed end: a day, then fetched again
# Sent by the tablet's read-ahead: fetching is not reading, so no "opened" is recorded (the
# tablet says so over its socket when the delegate does open it: document:opened).
READ_AHEAD_HEADER = "X-Ecabinet-Precache"


def kept_for(actor: Actor) -> str:
    """Cache-Control for a response at a content-addressed URL: immutable, and kept no longer
    than the credential that fetched it holds (a delegate's card or device session), since
    plain HTTP has no way to make a browser forget a cached copy later."""
    if actor.valid_until is None:
        lifetime = NO_END
    else:
        lifetime = min(LONGEST, max(timedelta(0), actor.valid_until - utcnow()))
    return f"private, max-age={int(lifetime.total_seconds())}, immutable"


@bp.route("/documents/<int:document_id>/v/<sha256>", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@cached_by_url
def immutable_file(document_id: int, sha256: str) -> Response:
    actor = actor_or_401()
    document, level = viewable(actor, document_id)
    gone = NotFound(
        "Tài liệu này đã có bản mới hoặc không đọc trước được.", code="document_version_gone"
    )
    if access.is_secret(level):
        raise gone  # read online only, through /documents/<id>/file (recorded, stamped)
    pdf = viewer_pdf(actor, document, level)
    if pdf is None or pdf.sha256 != sha256:
        raise gone
    reading = request.headers.get(READ_AHEAD_HEADER) != "1" and starts_a_reading()
    if reading and actor.attendee_id is not None:
        with database().unit_of_work() as db_session:
            access.record_opened(db_session, document_id=document_id, attendee_id=actor.attendee_id)
    name = document.filename.rsplit(".", 1)[0] + ".pdf"
    response = send_stored(pdf.path, mimetype=office.PDF, download_name=name, etag=sha256)
    response.headers["Cache-Control"] = kept_for(actor)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

"""Documents read ahead by tablets: the PDF at an address that names its content.

Service workers and Cache Storage need HTTPS, and the agencies' LANs often run plain HTTP; the
browser's HTTP cache works on both. So a tablet fetches every document it may read as soon as
it opens the meeting, at /documents/<id>/v/<sha256>, served as immutable for a year: when the
Wi-Fi drops, the same address is answered from the tablet's cache. A new revision has a new
address, so nothing stale is ever read. Mật / Tối mật documents have no such address (a
cached copy would outlive a revoked card) and are read online only.
"""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from ecabinet.documents import access, office
from ecabinet.documents.http import send_stored, viewable, viewer_pdf
from ecabinet.errors import NotFound
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, database, requires

bp = Blueprint("document_readahead", __name__)

CACHE_FOR_GOOD = "private, max-age=31536000, immutable"
# Sent by the tablet's read-ahead: fetching is not reading, so no "opened" is recorded (the
# tablet says so over its socket when the delegate does open it: document:opened).
READ_AHEAD_HEADER = "X-Ecabinet-Precache"


@bp.route("/documents/<int:document_id>/v/<sha256>", methods=["GET"])
@requires(Perm.VIEW_MEETING)
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
    reading = request.headers.get(READ_AHEAD_HEADER) != "1"
    if reading and actor.attendee_id is not None and not request.headers.get("Range"):
        with database().unit_of_work() as db_session:
            access.record_opened(db_session, document_id=document_id, attendee_id=actor.attendee_id)
    name = document.filename.rsplit(".", 1)[0] + ".pdf"
    response = send_stored(pdf.path, mimetype=office.PDF, download_name=name, etag=sha256)
    response.headers["Cache-Control"] = CACHE_FOR_GOOD
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

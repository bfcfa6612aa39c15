"""Page images for tablets too old for pdf.js (static/js/pageview.js): the pages endpoint,
and each page's image at a URL that names the PDF it shows, so it is cached for good.

Both go through the file route's rules: service.get_document with its audience rule, the PDF
/documents/{id}/file would serve this viewer (viewer_pdf: a delegate's own stamped copy of a
Mật / Tối mật document, never the unstamped one), and a Mật / Tối mật viewing recorded before
any of its pages leave.
"""

from __future__ import annotations

from flask import Blueprint, request, url_for
from werkzeug.wrappers import Response

from ecabinet.actor import Actor
from ecabinet.documents import access, pages
from ecabinet.documents.http import (
    ViewerPdf,
    record_viewing,
    send_stored,
    storage,
    viewable,
    viewer_pdf,
)
from ecabinet.documents.models import Document, DocumentStatus
from ecabinet.documents.readahead import READ_AHEAD_HEADER, kept_for
from ecabinet.documents.schemas import PagePublic, PagesPublic
from ecabinet.errors import Conflict, Invalid, NotFound
from ecabinet.meetings.models import Confidentiality
from ecabinet.permissions import Perm
from ecabinet.web import actor_or_401, api_doc, cached_by_url, database, requires, to_json

bp = Blueprint("document_pages", __name__)

VIA = "pages"  # how a viewing is recorded (access.record_viewing)


@bp.route("/api/v1/documents/<int:document_id>/pages", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@api_doc(
    summary="The document's pages as images, for viewers without pdf.js: ready with each "
    "page's image URL, or 202 rendering (the render is queued; ask again in a second)",
    response=PagesPublic,
    also=(202,),
)
def list_pages(document_id: int) -> Response:
    actor = actor_or_401()
    document, level = viewable(actor, document_id)
    _require_ready(document)
    pdf = _pdf_for_pages(actor, document, level)
    source = _source(document, pdf)
    found = pages.rendered(storage(), source)
    if found is not None:
        # The reading starts (the pickup status shows it), unless the tablet is only reading
        # ahead; each page's bytes are recorded as a viewing when they leave (page_image).
        # While pages render, polls write nothing.
        reading = request.headers.get(READ_AHEAD_HEADER) != "1"
        if actor.attendee_id is not None and reading:
            with database().unit_of_work() as db_session:
                access.record_opened(
                    db_session, document_id=document_id, attendee_id=actor.attendee_id
                )
        listed = [
            PagePublic(
                number=number,
                url=url_for(
                    "document_pages.page_image",
                    document_id=document_id,
                    sha256=pdf.sha256,
                    number=number,
                ),
                width=width,
                height=height,
            )
            for number, (width, height) in enumerate(found.sizes, start=1)
        ]
        ready = PagesPublic(
            status="ready", page_count=found.page_count, sha256=pdf.sha256, pages=listed
        )
        return to_json(ready.model_dump(mode="json"))
    if not pages.ensure_render(database(), source):
        raise Invalid(
            "Máy chủ không dựng được ảnh các trang của tài liệu này (tệp PDF hỏng hoặc quá "
            "phức tạp). Vui lòng báo thư ký cuộc họp.",
            code="pages_failed",
        )
    waiting = PagesPublic(status="rendering", page_count=document.page_count)
    return to_json(waiting.model_dump(mode="json", exclude_none=True), 202)


@bp.route("/documents/<int:document_id>/pages/<sha256>/<int:number>", methods=["GET"])
@requires(Perm.VIEW_MEETING)
@cached_by_url
def page_image(document_id: int, sha256: str, number: int) -> Response:
    """One page's image. The URL names the PDF it shows: only this viewer's current one is
    served (another revision's, or another delegate's stamped copy, is a 404)."""
    actor = actor_or_401()
    document, level = viewable(actor, document_id)
    gone = NotFound("Không tìm thấy trang này của tài liệu.", code="page_not_found")
    ready = document.status == DocumentStatus.READY
    pdf = viewer_pdf(actor, document, level, issue=False) if ready else None
    if pdf is None or pdf.sha256 != sha256:
        raise gone
    source = _source(document, pdf)
    found = pages.rendered(storage(), source)
    if found is None or not 1 <= number <= found.page_count:
        raise gone
    record_viewing(actor, document, level, via=VIA)
    response = send_stored(
        pages.page_path(storage(), source, found, number),
        mimetype=found.mimetype,
        etag=f"{sha256}-{number}",
    )
    # A normal document's page never changes at this URL; a secret one is kept nowhere.
    secret = access.is_secret(level)
    response.headers["Cache-Control"] = "private, no-store" if secret else kept_for(actor)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _require_ready(document: Document) -> None:
    """Only a checked document has pages (staff also see those still checked or refused)."""
    if document.status == DocumentStatus.PROCESSING:
        raise Conflict(
            "Máy chủ đang kiểm tra tài liệu này; xem được khi kiểm tra xong.",
            code="document_processing",
        )
    if document.status != DocumentStatus.READY:
        raise Invalid(
            "Tài liệu này bị từ chối khi kiểm tra nên không có trang để xem.",
            code="document_rejected",
        )


def _pdf_for_pages(actor: Actor, document: Document, level: Confidentiality) -> ViewerPdf:
    """The PDF this viewer's page images show, or a clear refusal."""
    pdf = viewer_pdf(actor, document, level)
    if pdf is None:
        raise Invalid(
            "Tài liệu này là tệp Word / Excel chưa có bản PDF nên không xem được từng trang; "
            "hãy tải tệp về.",
            code="document_not_pdf",
        )
    if not pdf.path.is_file():
        raise NotFound("Tệp tài liệu bị thiếu trên máy chủ.", code="document_blob_missing")
    return pdf


def _source(document: Document, pdf: ViewerPdf) -> pages.PageSource:
    assert document.id is not None
    return pages.PageSource(pdf.sha256, document.id, pdf.stamped)

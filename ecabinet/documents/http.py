"""HTTP helpers shared by the document page and API routes."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from ecabinet import sealing
from ecabinet.actor import Actor
from ecabinet.documents import access, office, revisions, service, upload, watermark
from ecabinet.documents.models import Document
from ecabinet.documents.schemas import DocumentPublic, DocumentUploadFields, RevisionPublic
from ecabinet.documents.storage import Storage
from ecabinet.errors import AppError, Forbidden, Invalid, NotFound, Unavailable
from ecabinet.meetings.models import CONFIDENTIALITY_LABELS, Confidentiality, Meeting
from ecabinet.permissions import Perm
from ecabinet.web import database, form_data, validate

log = logging.getLogger(__name__)


def storage() -> Storage:
    """This app's document storage (documents own their files)."""
    store: Storage = current_app.extensions["ecabinet.storage"]
    return store


def upload_from_request(actor: Actor, meeting_id: int) -> DocumentPublic:
    """Read the multipart `file` part and the form fields, then run the upload use case."""
    file: FileStorage | None = request.files.get("file")
    if file is None or not file.filename:
        raise Invalid("Vui lòng chọn một tệp tài liệu.", code="upload_missing", field="file")
    return _upload(actor, meeting_id, file, keep_title=True)


def upload_many_from_request(
    actor: Actor, meeting_id: int
) -> list[tuple[str, DocumentPublic | AppError]]:
    """Every `file` part of a multipart form, each uploaded on its own: one refused file does
    not stop the others. The title field names a single file only; several keep their names."""
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        raise Invalid(
            "Vui lòng chọn ít nhất một tệp tài liệu.", code="upload_missing", field="file"
        )
    results: list[tuple[str, DocumentPublic | AppError]] = []
    for file in files:
        try:
            results.append((file.filename or "", _upload(actor, meeting_id, file, len(files) == 1)))
        except AppError as exc:
            if exc.status in (401, 403, 404):
                raise
            results.append((file.filename or "", exc))
    return results


def _upload(actor: Actor, meeting_id: int, file: FileStorage, keep_title: bool) -> DocumentPublic:
    data = form_data(ints=("agenda_item_id",), skip=("upload_attendee",))
    if not keep_title:
        data.pop("title", None)
    if "attendee_ids" not in data and request.form.getlist("upload_attendee"):
        data["attendee_ids"] = ",".join(request.form.getlist("upload_attendee"))  # page form
    fields = validate(DocumentUploadFields, data)
    return upload.upload_document(
        database(),
        storage(),
        actor=actor,
        meeting_id=meeting_id,
        stream=file.stream,
        filename=file.filename or "",
        title=fields.title,
        agenda_item_id=fields.agenda_item_id,
        audience=fields.audience,
        attendee_ids=fields.chosen(),
        confidentiality=fields.confidentiality,
        max_bytes=_max_bytes(),
        max_documents=int(current_app.config["MAX_DOCUMENTS_PER_MEETING"]),
    )


def _max_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024


def upload_revision_from_request(actor: Actor, document_id: int) -> RevisionPublic:
    """A new revision of a document from the multipart `file` part."""
    file: FileStorage | None = request.files.get("file")
    if file is None or not file.filename:
        raise Invalid("Vui lòng chọn tệp của bản mới.", code="upload_missing", field="file")
    return upload.upload_revision(
        database(),
        storage(),
        actor=actor,
        document_id=document_id,
        stream=file.stream,
        filename=file.filename,
        max_bytes=_max_bytes(),
    )


def _readable(actor: Actor, document_id: int, *, via: str, number: int | None = None) -> Document:
    """The document `actor` may read (one rule: service.get_document); a Mật / Tối mật one
    only after its viewing is recorded (access.py), so no secret byte leaves unrecorded."""
    return _readable_at(actor, document_id, via=via, number=number)[0]


def _readable_at(
    actor: Actor, document_id: int, *, via: str, number: int | None = None
) -> tuple[Document, Confidentiality]:
    """As _readable, with the level the document is handled at."""
    document, level = viewable(actor, document_id)
    record_viewing(actor, document, level, via=via, number=number)
    return document, level


def viewable(actor: Actor, document_id: int) -> tuple[Document, Confidentiality]:
    """The document `actor` may read (service.get_document's rule), and the level it is
    handled at. Record the viewing (record_viewing) before any of its bytes leave."""
    with database().unit_of_work(write=False) as db_session:
        document = service.get_document(
            db_session, actor=actor, document_id=document_id, perm=Perm.VIEW_MEETING
        )
        meeting = db_session.get(Meeting, document.meeting_id)  # loaded by get_document
        assert meeting is not None
        level = access.level_of(document.confidentiality, meeting.confidentiality)
    return document, level


def record_viewing(
    actor: Actor,
    document: Document,
    level: Confidentiality,
    *,
    via: str,
    number: int | None = None,
) -> None:
    """A Mật / Tối mật document's viewing, recorded (access.py); nothing for a normal one."""
    if access.is_secret(level):
        with database().unit_of_work() as db_session:
            access.record_viewing(
                db_session,
                actor=actor,
                document=document,
                level=level,
                revision=document.revision if number is None else number,
                via=via,
            )


@dataclass(frozen=True)
class ViewerPdf:
    """The PDF one viewer reads of a document."""

    path: Path
    sha256: str
    stamped: bool  # a delegate's own stamped copy (watermark.py)
    converted: bool  # a Word / Excel file's PDF conversion


def viewer_pdf(
    actor: Actor, document: Document, level: Confidentiality, *, issue: bool = True
) -> ViewerPdf | None:
    """The PDF `actor` reads of `document`, as /documents/{id}/file serves it to them (and
    page images are rendered from): the file itself, or a Word / Excel file's conversion; for
    a delegate and a Mật / Tối mật document, their own stamped copy of it (made now, unless
    `issue` is False: then None if they have none yet). None: no PDF to read."""
    if document.content_type == office.PDF:
        sha256 = document.sha256
    elif document.pdf_sha256:
        sha256 = document.pdf_sha256
    else:
        return None
    converted = document.content_type != office.PDF
    if not (actor.is_attendee and access.is_secret(level)):
        return ViewerPdf(storage().path_for(sha256), sha256, False, converted)
    assert document.id is not None
    copy: watermark.Copy | None
    if issue:
        copy = watermark.ensure_copy(
            database(),
            storage(),
            document_id=document.id,
            revision=document.revision,
            source_sha256=sha256,
            attendee_id=actor.attendee_id or 0,
            holder=actor.name,
            level=CONFIDENTIALITY_LABELS[level].upper(),
            timezone=str(current_app.config["TIMEZONE"]),
        )
    else:
        copy = watermark.find_copy(
            database(),
            storage(),
            document_id=document.id,
            revision=document.revision,
            attendee_id=actor.attendee_id or 0,
        )
    return None if copy is None else ViewerPdf(copy.path, copy.sha256, True, converted)


def send_revision(actor: Actor, document_id: int, number: int) -> Response:
    """Any revision's bytes, for staff of the meeting, as a download named after its number."""
    with database().unit_of_work(write=False) as db_session:
        _document, revision = revisions.get_revision(
            db_session, actor=actor, document_id=document_id, number=number
        )
    _readable(actor, document_id, via="revision", number=number)
    path = storage().path_for(revision.sha256)
    stem, dot, extension = revision.filename.rpartition(".")
    response = send_stored(
        path,
        mimetype=revision.content_type,
        download_name=f"{stem} (bản {revision.number}){dot}{extension}"
        if dot
        else revision.filename,
        as_attachment=True,
        etag=revision.sha256,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def send_document(actor: Actor, document_id: int) -> Response:
    """The document for a viewer of its meeting: the PDF tablets read (the file itself, or a
    Word / Excel file's conversion), Range requests honoured (pdf.js); `?original=1` the
    uploaded file; an office file with no conversion is always a download."""
    original = request.args.get("original") == "1"
    download = request.args.get("download") == "1" or original
    document, level = _readable_at(actor, document_id, via="download" if download else "file")
    if actor.attendee_id is not None and starts_a_reading():
        with database().unit_of_work() as db_session:
            access.record_opened(db_session, document_id=document_id, attendee_id=actor.attendee_id)
    stamped = actor.is_attendee and access.is_secret(level)  # a delegate's own copy
    # Delegates never get a Mật original: it would carry no name.
    pdf = viewer_pdf(actor, document, level) if stamped or not original else None
    if pdf is not None:
        path, sha256, mimetype, name = pdf.path, pdf.sha256, office.PDF, document.filename
        if pdf.converted:
            name = name.rsplit(".", 1)[0] + ".pdf"
    elif stamped:
        raise Forbidden(
            "Tài liệu mật này chỉ đọc được dưới dạng PDF có ghi tên người nhận, mà chưa có "
            "bản PDF. Vui lòng liên hệ thư ký cuộc họp.",
            code="secret_needs_pdf",
        )
    else:
        sha256, mimetype, name = document.sha256, document.content_type, document.filename
        path = storage().path_for(sha256)
        if document.content_type != office.PDF:
            download = True  # a browser cannot show it: save it
    response = send_stored(
        path, mimetype=mimetype, download_name=name, as_attachment=download, etag=sha256
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def starts_a_reading() -> bool:
    """The first request of a reading (pdf.js's first, or a whole download), not each of the
    Range requests that follow it."""
    ranges = request.headers.get("Range", "")
    return request.method == "GET" and (
        not ranges or ranges.replace(" ", "").startswith("bytes=0-")
    )


def send_thumbnail(actor: Actor, document_id: int) -> Response:
    """The first-page PNG, for viewers of the meeting (the same rule as the file itself)."""
    document = _readable(actor, document_id, via="thumbnail")
    path = storage().thumbnail_path(document.sha256)  # get_document applied the audience rule
    if not (document.has_thumbnail and path.is_file()):
        raise NotFound("Tài liệu chưa có ảnh trang đầu.", code="thumbnail_not_found")
    response = send_stored(path, mimetype="image/png", etag=document.sha256)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_stored(
    path: Path,
    *,
    mimetype: str,
    etag: str,
    download_name: str | None = None,
    as_attachment: bool = False,
) -> Response:
    """A stored file's plain bytes, sealed or not, with ETag, If-None-Match and Range (pdf.js
    reads in ranges): only the chunks a range covers are decrypted. A file that fails its
    seal check is refused (503), never sent as garbage."""
    if not path.is_file():
        raise NotFound("Tệp tài liệu bị thiếu trên máy chủ.", code="document_blob_missing")
    try:
        stream, size = sealing.open_plain(path, storage().ring)
        try:
            stream.read(1)  # opens the first chunk: a wrong key or damage shows here, as 503
            stream.seek(0)
        except BaseException:
            stream.close()
            raise
    except sealing.SealBroken as broken:
        log.error("cannot open %s: %s", path, broken)
        raise Unavailable(
            "Không mở được tệp đã mã hóa trên máy chủ (sai khóa hoặc tệp hỏng). "
            "Vui lòng báo quản trị viên.",
            code="file_seal_broken",
        ) from None
    response = current_app.response_class(
        wrap_file(request.environ, stream, buffer_size=sealing.CHUNK),
        mimetype=mimetype,
        direct_passthrough=True,
    )
    response.content_length = size
    response.set_etag(etag)
    if download_name is not None:
        response.headers.set(
            "Content-Disposition",
            "attachment" if as_attachment else "inline",
            **_filename_parameters(download_name),
        )
    return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)


def _filename_parameters(name: str) -> dict[str, str]:
    """As send_file names a file: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    simple = simple.replace('"', "").replace("\\", "") or "tai-lieu"
    if simple == name:
        return {"filename": name}
    return {"filename": simple, "filename*": f"UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"}

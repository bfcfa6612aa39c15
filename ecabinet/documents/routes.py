"""Workspace forms for documents, and the document file route used by every viewer."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from ecabinet.actor import Actor
from ecabinet.documents import service, upload
from ecabinet.documents.http import (
    send_document,
    send_revision,
    send_thumbnail,
    storage,
    upload_many_from_request,
    upload_revision_from_request,
)
from ecabinet.documents.models import Audience
from ecabinet.documents.schemas import DocumentUpdate
from ecabinet.errors import AppError, Invalid
from ecabinet.permissions import Perm
from ecabinet.web import (
    actor_or_401,
    database,
    form_data,
    requires,
    submit_workspace_form,
    validate,
)

bp = Blueprint("documents", __name__)


def _meeting_of(actor: Actor, document_id: int) -> int:
    """The meeting of a document `actor` may edit (404 otherwise): where its forms go back."""
    with database().unit_of_work(write=False) as db_session:
        return service.get_document(
            db_session, actor=actor, document_id=document_id, perm=Perm.EDIT_MEETING
        ).meeting_id


@bp.route("/meetings/<int:meeting_id>/documents", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def upload_page(meeting_id: int) -> Response | tuple[str, int]:
    """One or many PDFs at once (the form's file input takes several): each is stored on its
    own, and those refused are listed with the reason while the others go on."""
    refused: list[str] = []

    def store() -> str:
        results = upload_many_from_request(actor_or_401(), meeting_id)
        stored = [r for _name, r in results if not isinstance(r, AppError)]
        refused.extend(f"“{name}”: {r.message}" for name, r in results if isinstance(r, AppError))
        if not stored:
            first = next(r for _name, r in results if isinstance(r, AppError))
            if len(results) == 1:
                raise first
            raise Invalid("Không tệp nào được nhận. " + "; ".join(refused), field="file")
        if len(stored) == 1:
            return f"Đã tải lên “{stored[0].title}”; máy chủ đang kiểm tra tệp."
        return f"Đã tải lên {len(stored)} tài liệu; máy chủ đang kiểm tra từng tệp."

    answer = submit_workspace_form(meeting_id, form="document", action=store, anchor="documents")
    if refused and not isinstance(answer, tuple):
        flash("Chưa nhận " + "; ".join(refused), "error")
    return answer


@bp.route("/documents/<int:document_id>/delete", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def delete(document_id: int) -> Response:
    actor = actor_or_401()
    meeting_id = _meeting_of(actor, document_id)
    upload.delete_document(database(), storage(), actor=actor, document_id=document_id)
    flash("Đã xóa tài liệu.", "success")
    return redirect(url_for("workspace.meeting", meeting_id=meeting_id, _anchor="documents"))


@bp.route("/documents/<int:document_id>/file", methods=["GET"])
@requires(Perm.VIEW_MEETING)
def file(document_id: int) -> Response:
    return send_document(actor_or_401(), document_id)


@bp.route("/documents/<int:document_id>/edit", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def edit(document_id: int) -> Response | tuple[str, int]:
    """The workspace's "edit" form under each document: title, agenda item, level. On an
    error the page comes back with the form open, the message beside its field and what was
    typed kept."""
    actor = actor_or_401()
    meeting_id = _meeting_of(actor, document_id)

    def save() -> str:
        fields = form_data(ints=("agenda_item_id",))
        fields.setdefault("agenda_item_id", None)
        data = validate(DocumentUpdate, fields)
        with database().unit_of_work() as db_session:
            service.update_document(db_session, actor=actor, document_id=document_id, data=data)
        return "Đã lưu thông tin tài liệu."

    return submit_workspace_form(
        meeting_id, form=f"document-{document_id}", action=save, anchor=f"doc-{document_id}"
    )


@bp.route("/documents/<int:document_id>/revisions/<int:number>/file", methods=["GET"])
@requires(Perm.EDIT_MEETING)
def revision_file(document_id: int, number: int) -> Response:
    return send_revision(actor_or_401(), document_id, number)


@bp.route("/documents/<int:document_id>/revisions", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def revise(document_id: int) -> Response:
    """The workspace's "new revision" form under each document."""
    actor = actor_or_401()
    meeting_id = _meeting_of(actor, document_id)

    try:
        revision = upload_revision_from_request(actor, document_id)
    except AppError as exc:
        if exc.status == 404:
            raise
        # Only a file was chosen: nothing typed is lost by showing the reason above the list.
        flash(f"Chưa nhận bản mới: {exc.message}", "error")
    else:
        flash(
            f"Đã tải lên bản {revision.number}; bản này thành bản hiện hành khi kiểm tra xong.",
            "success",
        )
    return redirect(
        url_for("workspace.meeting", meeting_id=meeting_id, _anchor=f"doc-{document_id}")
    )


@bp.route("/documents/<int:document_id>/thumbnail.png", methods=["GET"])
@requires(Perm.VIEW_MEETING)
def thumbnail(document_id: int) -> Response:
    return send_thumbnail(actor_or_401(), document_id)


@bp.route("/documents/<int:document_id>/audience", methods=["POST"])
@requires(Perm.EDIT_MEETING)
def audience(document_id: int) -> Response | tuple[str, int]:
    actor = actor_or_401()
    meeting_id = _meeting_of(actor, document_id)

    def save() -> str:
        chosen = Audience.CHOSEN if request.form.get("audience") == "chosen" else Audience.ALL
        ticked = [int(v) for v in request.form.getlist("attendee_ids") if v.isdigit()]
        # The form lists one page (or one search) of a list that may hold 50,000: it decides
        # for those it showed. A form that names none (an older page) decides for everyone.
        shown = frozenset(
            int(v) for v in request.form.get("shown_ids", "").split(",") if v.isdigit()
        )
        with database().unit_of_work() as db_session:
            given = service.set_audience(
                db_session,
                actor=actor,
                document_id=document_id,
                audience=chosen,
                attendee_ids=ticked,
                deciding_for=shown or None,
            )
        if chosen == Audience.ALL:
            return "Tài liệu dành cho tất cả đại biểu."
        return f"Tài liệu chỉ dành cho {len(given)} đại biểu được chọn."

    return submit_workspace_form(meeting_id, form="audience", action=save, anchor="documents")

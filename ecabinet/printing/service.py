"""Printouts: asked for in a transaction (with their job), built by the job, served to
those who prepare the meeting.

A card printout issues the cards it prints: only their hashes are kept, so the PDF is the
one place their links and codes exist. Which attendees it covers is fixed when it is asked
for, so a job run again after a crash prints the same people (issuing them fresh cards once
more: the earlier, never delivered, stop working). Building runs off the hub in chunks, with
the progress written between them; the file is written whole, then named, then the row says
ready, so a crash leaves either no file or a complete one.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from ecabinet.actor import SYSTEM, Actor
from ecabinet.agenda.service import numbered
from ecabinet.attendees.models import Attendee
from ecabinet.db import Database
from ecabinet.documents.access import level_of
from ecabinet.documents.models import Document, DocumentRevision, DocumentStatus
from ecabinet.documents.storage import Storage
from ecabinet.errors import AppError, Conflict, Invalid, NotFound
from ecabinet.events import DomainEvent, audit
from ecabinet.jobs import service as jobs
from ecabinet.jobs.runner import JobRunner
from ecabinet.jobs.service import ClaimedJob, JobFailed
from ecabinet.meetings import service as meetings
from ecabinet.meetings.events import MeetingDeleting
from ecabinet.meetings.models import CONFIDENTIALITY_LABELS, Confidentiality, Meeting
from ecabinet.offload import off_hub
from ecabinet.permissions import Perm
from ecabinet.pickup import codes
from ecabinet.pickup import service as pickup
from ecabinet.pickup.models import AttendeeToken
from ecabinet.printing import layouts
from ecabinet.printing.models import PrintKind, Printout, PrintStatus
from ecabinet.sealing import read_plain, seal_bytes
from ecabinet.timeutil import utcnow

BUILD_JOB = "printing.build"
CHUNK = 100  # cards drawn between two progress updates


@dataclass(frozen=True)
class PrintSettings:
    timezone: str = "Asia/Ho_Chi_Minh"
    code_key: bytes = b""
    window: pickup.AccessWindow = field(default_factory=pickup.AccessWindow)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> PrintSettings:
        return cls(
            timezone=str(config["TIMEZONE"]),
            code_key=codes.key_from_secret(str(config["SECRET_KEY"])),
            window=pickup.AccessWindow(
                days_after_end=int(config["PICKUP_DAYS_AFTER_MEETING"]),
                undated_days=int(config["ATTENDEE_TOKEN_DAYS"]),
            ),
        )


def file_path(storage: Storage, printout_id: int) -> Path:
    return storage.root / "printouts" / f"{printout_id}.pdf"


def request_printout(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    kind: PrintKind,
    public_url: str,
    attendee_ids: list[int] | None = None,
    reissue: bool = False,
    now: datetime | None = None,
) -> Printout:
    """Ask for a printout; its job builds it. For cards: the attendees given (default:
    everyone), skipping those whose card still works unless `reissue` (their card can only
    be printed again as a new card: its old one then stops opening)."""
    meeting = meetings.load_meeting(
        session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING
    )
    if not public_url.startswith(("http://", "https://")):
        raise Conflict(
            "Chưa cấu hình địa chỉ công khai (ECABINET_PUBLIC_URL), nên không thể in mã QR: "
            "mã in ra phải mở được từ máy tính bảng. Quản trị viên cần đặt địa chỉ này trước.",
            code="public_url_required",
        )
    options: dict[str, Any] = {}
    total = 1
    if kind == PrintKind.CARDS:
        meetings.require_editable(meeting)
        targets = _card_targets(session, meeting_id, attendee_ids, reissue, now or utcnow())
        if not targets:
            raise Invalid(
                "Mọi đại biểu đã chọn đều đã có thẻ đang dùng được. Chọn “In lại” để in thẻ "
                "mới (thẻ cũ của họ sẽ không mở được nữa).",
                code="nothing_to_print",
            )
        options["attendee_ids"] = targets
        total = len(targets)
    elif kind == PrintKind.COVERS:
        total = max(1, len(_ready_documents(session, meeting_id)))
    printout = Printout(
        meeting_id=meeting_id,
        kind=kind,
        total=total,
        options=json.dumps(options),
        public_url=public_url.rstrip("/"),
        created_by_id=actor.user_id,
    )
    session.add(printout)
    session.flush()
    assert printout.id is not None
    jobs.enqueue(session, BUILD_JOB, {"printout_id": printout.id}, key=f"printout:{printout.id}")
    audit(
        session,
        actor,
        meeting_id=meeting_id,
        action="printout.request",
        subject=f"{kind}: {total}",
    )
    return printout


def _card_targets(
    session: Session,
    meeting_id: int,
    attendee_ids: list[int] | None,
    reissue: bool,
    now: datetime,
) -> list[int]:
    everyone = [
        i
        for i in session.exec(
            select(Attendee.id).where(Attendee.meeting_id == meeting_id).order_by(col(Attendee.id))
        ).all()
        if i is not None
    ]
    if attendee_ids is not None:
        wanted = set(attendee_ids)
        if not wanted <= set(everyone):
            raise Invalid(
                "Có đại biểu không thuộc cuộc họp này.",
                code="attendee_not_found",
                field="attendee_ids",
            )
        everyone = [i for i in everyone if i in wanted]
    if reissue:
        return everyone
    holding = set(
        session.exec(
            select(AttendeeToken.attendee_id)
            .join(Attendee, col(Attendee.id) == col(AttendeeToken.attendee_id))
            .where(
                Attendee.meeting_id == meeting_id,
                col(AttendeeToken.revoked_at).is_(None),
                col(AttendeeToken.expires_at) > now,
            )
        ).all()
    )
    return [i for i in everyone if i not in holding]


def _ready_documents(session: Session, meeting_id: int) -> list[Document]:
    return list(
        session.exec(
            select(Document)
            .where(Document.meeting_id == meeting_id, Document.status == DocumentStatus.READY)
            .order_by(col(Document.created_at), col(Document.id))
        )
    )


def _heading(meeting: Meeting, timezone: str) -> layouts.MeetingHeading:
    zone = ZoneInfo(timezone)
    when = ""
    if meeting.starts_at is not None:
        start = meeting.starts_at.astimezone(zone)
        when = f"{start:%H:%M} ngày {start:%d/%m/%Y}"
        if meeting.ends_at is not None:
            end = meeting.ends_at.astimezone(zone)
            when += f" đến {end:%H:%M}" + (
                f" ngày {end:%d/%m/%Y}" if end.date() != start.date() else ""
            )
    level = (
        ""
        if meeting.confidentiality == Confidentiality.NORMAL
        else CONFIDENTIALITY_LABELS[Confidentiality(meeting.confidentiality)].upper()
    )
    return layouts.MeetingHeading(
        title=meeting.title,
        kind=meeting.kind,
        organiser=meeting.organiser,
        location=meeting.location,
        when=when,
        level=level,
    )


def _progress(database: Database, printout_id: int, done: int) -> None:
    with database.unit_of_work() as session:
        printout = session.get(Printout, printout_id)
        if printout is not None:
            printout.done = done
            session.add(printout)


def build_printout(
    database: Database, storage: Storage, *, printout_id: int, settings: PrintSettings
) -> str | None:
    """The job: build one printout. Returns its new status (None: nothing to do)."""
    with database.unit_of_work() as session:
        printout = session.get(Printout, printout_id)
        if printout is None or printout.status == PrintStatus.READY:
            return None
        printout.status = PrintStatus.RUNNING
        printout.done = 0
        # A run whose lease ran out may still be drawing: this attempt supersedes it, and only
        # the newest attempt may issue cards or name the file (_still_mine).
        printout.attempt += 1
        attempt = printout.attempt
        session.add(printout)
        meeting = session.get(Meeting, printout.meeting_id)
        assert meeting is not None
        kind, base = PrintKind(printout.kind), printout.public_url
        options = json.loads(printout.options)
        heading = _heading(meeting, settings.timezone)
    try:
        if kind == PrintKind.CARDS:
            pdf = _cards(database, printout_id, attempt, heading, base, options, settings)
        elif kind == PrintKind.AGENDA:
            pdf = _agenda(database, meeting.id or 0, heading)
        elif kind == PrintKind.COVERS:
            pdf = _covers(database, meeting.id or 0, heading, base)
        else:
            pdf = off_hub(layouts.poster_pdf, heading, f"{base}/m/{meeting.public_code}")
    except Superseded:
        return None
    except AppError as refused:  # nothing a retry changes (attendees gone, meeting ended)
        _finish(database, printout_id, attempt, PrintStatus.FAILED, message=refused.message)
        raise JobFailed(refused.message) from None
    final = file_path(storage, printout_id)
    storage.note_key()
    # Sealed like every stored file: a card printout holds every card's link and code.
    partial = _write_partial(final, pdf if storage.ring is None else seal_bytes(pdf, storage.ring))
    if not _finish(
        database, printout_id, attempt, PrintStatus.READY, size=len(pdf), file=(partial, final)
    ):
        partial.unlink(missing_ok=True)
        return None
    return PrintStatus.READY


class Superseded(Exception):
    """A newer attempt at the same printout took over: this one stops, changing nothing."""


def _still_mine(session: Session, printout_id: int, attempt: int) -> Printout:
    """The printout row, locked for the rest of the transaction (PostgreSQL; SQLite's
    writer holds the database), if `attempt` is still the newest; else Superseded."""
    printout = session.exec(
        select(Printout).where(Printout.id == printout_id).with_for_update()
    ).first()
    if printout is None or printout.attempt != attempt:
        raise Superseded
    return printout


def _cards(
    database: Database,
    printout_id: int,
    attempt: int,
    heading: layouts.MeetingHeading,
    base: str,
    options: dict[str, Any],
    settings: PrintSettings,
) -> bytes:
    wanted = [int(i) for i in options.get("attendee_ids", [])]
    with database.unit_of_work() as session:
        printout = _still_mine(session, printout_id, attempt)
        meeting_id = printout.meeting_id
        # Attendees deleted since the printout was asked for are left out.
        present = {
            a.id: a
            for a in session.exec(
                select(Attendee).where(
                    Attendee.meeting_id == meeting_id, col(Attendee.id).in_(wanted)
                )
            )
        }
        targets = [i for i in wanted if i in present]
        if not targets:
            raise Invalid("Các đại biểu cần in thẻ đã bị xóa.", code="nothing_to_print")
        batch = pickup.issue_tokens(
            session,
            actor=SYSTEM,
            meeting_id=meeting_id,
            lifetime=settings.window,
            code_key=settings.code_key,
            attendee_ids=targets,
            reissue=True,
            printed=True,
        )
        cards = [
            layouts.Card(
                name=present[t.attendee_id].full_name,
                position=present[t.attendee_id].position,
                unit=present[t.attendee_id].unit,
                url=f"{base}/p/{t.raw}",
                code=t.code,
            )
            for t in batch.issued
        ]
        printout.total = len(cards)
        session.add(printout)
    sheet = off_hub(layouts.CardSheet, heading, f"{base}/ma", cards[0].url)
    for start in range(0, len(cards), CHUNK):
        off_hub(sheet.add, cards[start : start + CHUNK])
        _progress(database, printout_id, min(len(cards), start + CHUNK))
    return off_hub(sheet.finish)


def _agenda(database: Database, meeting_id: int, heading: layouts.MeetingHeading) -> bytes:
    with database.unit_of_work(write=False) as session:
        lines = [
            layouts.AgendaLine(
                label=item.label,
                title=item.title,
                presenter=item.presenter,
                minutes=item.duration_minutes,
                sub=item.parent_id is not None,
            )
            for item in numbered(session, meeting_id)
        ]
    return off_hub(layouts.agenda_pdf, heading, lines)


def _covers(
    database: Database, meeting_id: int, heading: layouts.MeetingHeading, base: str
) -> bytes:
    with database.unit_of_work(write=False) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        labels = {item.id: item.label for item in numbered(session, meeting_id)}
        sheets = []
        for document in _ready_documents(session, meeting_id):
            revision = session.exec(
                select(DocumentRevision).where(
                    DocumentRevision.document_id == document.id,
                    DocumentRevision.number == document.revision,
                )
            ).one()
            level = level_of(document.confidentiality, meeting.confidentiality)
            sheets.append(
                layouts.CoverSheet(
                    title=document.title,
                    revision=revision.number,
                    pages=revision.page_count,
                    level=""
                    if level == Confidentiality.NORMAL
                    else CONFIDENTIALITY_LABELS[level].upper(),
                    sha256=revision.sha256,
                    agenda_label=labels.get(document.agenda_item_id or 0, ""),
                    verify_url=f"{base}/v/{revision.verify_code}",
                )
            )
    return off_hub(layouts.covers_pdf, heading, sheets)


def _write_partial(path: Path, data: bytes) -> Path:
    """Whole and flushed to disk under a name of its own; _finish names it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return partial


def _finish(
    database: Database,
    printout_id: int,
    attempt: int,
    status: PrintStatus,
    *,
    message: str = "",
    size: int = 0,
    file: tuple[Path, Path] | None = None,
) -> bool:
    """Record the outcome, and name the file, only if this attempt is still the newest: a
    reader never sees half a PDF, nor the cards of an attempt whose cards were replaced."""
    try:
        with database.unit_of_work() as session:
            printout = _still_mine(session, printout_id, attempt)
            if file is not None:
                os.replace(*file)  # partial → final, while the row is ours
            printout.status = status
            printout.message = message[:300]
            printout.size = size
            if status == PrintStatus.READY:
                printout.done = printout.total
            printout.finished_at = utcnow()
            session.add(printout)
    except Superseded:
        return False
    return True


def list_printouts(session: Session, *, actor: Actor, meeting_id: int) -> list[Printout]:
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    return list(
        session.exec(
            select(Printout)
            .where(Printout.meeting_id == meeting_id)
            .order_by(col(Printout.id).desc())
            .limit(50)
        )
    )


def get_printout(session: Session, *, actor: Actor, printout_id: int) -> Printout:
    printout = session.get(Printout, printout_id)
    if printout is None:
        raise NotFound("Không tìm thấy bản in.", code="printout_not_found")
    try:
        meetings.load_meeting(
            session, actor=actor, meeting_id=printout.meeting_id, perm=Perm.EDIT_MEETING
        )
    except NotFound:
        raise NotFound("Không tìm thấy bản in.", code="printout_not_found") from None
    return printout


def open_printout(
    session: Session, storage: Storage, *, actor: Actor, printout_id: int
) -> tuple[bytes, str]:
    """The file of a ready printout and the name to save it as; a card printout (it holds
    the cards' links) is downloaded with an audit row."""
    printout = get_printout(session, actor=actor, printout_id=printout_id)
    path = file_path(storage, printout_id)
    if printout.status != PrintStatus.READY or not path.is_file():
        raise Conflict("Bản in chưa xong.", code="printout_not_ready")
    if printout.kind == PrintKind.CARDS:
        audit(
            session,
            actor,
            meeting_id=printout.meeting_id,
            action="printout.download",
            subject=f"thẻ đại biểu ({printout.total})",
        )
    name = f"{printout.kind}-{printout.meeting_id}-{printout_id}.pdf"
    return read_plain(path, storage.ring), unicodedata.normalize("NFC", name)


def register(
    runner: JobRunner, database: Database, storage: Storage, settings: PrintSettings
) -> None:
    def run(job: ClaimedJob) -> None:
        build_printout(
            database, storage, printout_id=int(job.payload["printout_id"]), settings=settings
        )

    runner.register(BUILD_JOB, run)


def remove_files_of_deleted_meetings(
    storage: Storage,
) -> Callable[[OrmSession, DomainEvent], Callable[[bool], None] | None]:
    """A deleted meeting's printouts go with its rows (cascade); their files after the commit."""

    def handle(session: OrmSession, happened: DomainEvent) -> Callable[[bool], None] | None:
        if not isinstance(happened, MeetingDeleting):
            return None
        ids = list(
            session.execute(
                select(Printout.id).where(Printout.meeting_id == happened.meeting_id)
            ).scalars()
        )
        if not ids:
            return None

        def finish(committed: bool) -> None:
            if committed:
                for printout_id in ids:
                    if printout_id is not None:
                        file_path(storage, printout_id).unlink(missing_ok=True)

        return finish

    return handle

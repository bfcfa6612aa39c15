"""Pickup status: per attendee of a meeting, whether their card was printed, whether a tablet
came in with it, and which documents they opened; as a page, JSON and a workbook."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from ecabinet.actor import Actor
from ecabinet.attendees.models import Attendee
from ecabinet.documents.access import opened_by
from ecabinet.documents.models import Document, DocumentStatus
from ecabinet.meetings import service as meetings
from ecabinet.permissions import Perm
from ecabinet.pickup.models import AttendeeToken, DeviceSession
from ecabinet.timeutil import utcnow

CARD_LABELS = {
    "printed": "Đã in thẻ",
    "shown": "Đã cấp (trên màn hình)",
    "expired": "Thẻ đã hết hạn",
    "none": "Chưa có thẻ",
}


@dataclass(frozen=True)
class PickupRow:
    attendee_id: int
    full_name: str
    position: str
    unit: str
    card: str  # printed, shown, expired or none (CARD_LABELS)
    card_at: datetime | None  # when the working (or last) card was issued
    first_scan_at: datetime | None  # when a tablet first came in with a card
    devices: int  # tablets in now
    opened: list[str]  # titles of the documents opened, in the meeting's order


@dataclass(frozen=True)
class PickupStatus:
    rows: list[PickupRow]
    total: int  # attendees of the meeting
    documents: int  # ready documents of the meeting
    printed: int  # attendees whose working card was printed (whole meeting)
    scanned: int  # attendees with at least one tablet in (whole meeting)


def pickup_status(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    offset: int = 0,
    limit: int | None = None,
    now: datetime | None = None,
) -> PickupStatus:
    meetings.load_meeting(session, actor=actor, meeting_id=meeting_id, perm=Perm.EDIT_MEETING)
    now = now or utcnow()
    query = (
        select(Attendee)
        .where(Attendee.meeting_id == meeting_id)
        .order_by(col(Attendee.id))
        .offset(offset)
    )
    attendees = list(session.exec(query if limit is None else query.limit(limit)))
    ids = [a.id for a in attendees if a.id is not None]
    cards = _latest_cards(session, ids)
    scans = _scans(session, ids, now)
    documents = {
        d.id: d.title
        for d in session.exec(
            select(Document)
            .where(Document.meeting_id == meeting_id, Document.status == DocumentStatus.READY)
            .order_by(col(Document.created_at), col(Document.id))
        )
    }
    opened = opened_by(session, ids)
    rows = []
    for attendee in attendees:
        assert attendee.id is not None
        card = cards.get(attendee.id)
        kind = "none"
        if card is not None:
            live = card.revoked_at is None and card.expires_at > now
            kind = ("printed" if card.printed else "shown") if live else "expired"
        first_scan, devices = scans.get(attendee.id, (None, 0))
        mine = set(opened.get(attendee.id, []))
        rows.append(
            PickupRow(
                attendee_id=attendee.id,
                full_name=attendee.full_name,
                position=attendee.position,
                unit=attendee.unit,
                card=kind,
                card_at=card.created_at if card is not None else None,
                first_scan_at=first_scan,
                devices=devices,
                opened=[title for doc_id, title in documents.items() if doc_id in mine],
            )
        )
    return PickupStatus(
        rows=rows,
        total=_count(session, meeting_id),
        documents=len(documents),
        printed=_count_printed(session, meeting_id, now),
        scanned=_count_scanned(session, meeting_id),
    )


def _latest_cards(session: Session, ids: list[int]) -> dict[int, AttendeeToken]:
    """Each attendee's newest card (the one a reprint would have replaced the others with)."""
    found: dict[int, AttendeeToken] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        newest = (
            select(func.max(AttendeeToken.id))
            .where(col(AttendeeToken.attendee_id).in_(chunk))
            .group_by(col(AttendeeToken.attendee_id))
        )
        for token in session.exec(select(AttendeeToken).where(col(AttendeeToken.id).in_(newest))):
            found[token.attendee_id] = token
    return found


def _scans(
    session: Session, ids: list[int], now: datetime
) -> dict[int, tuple[datetime | None, int]]:
    found: dict[int, tuple[datetime | None, int]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = session.exec(
            select(
                DeviceSession.attendee_id,
                func.min(DeviceSession.created_at),
                func.count(col(DeviceSession.id)).filter(
                    col(DeviceSession.revoked_at).is_(None), col(DeviceSession.expires_at) > now
                ),
            )
            .where(col(DeviceSession.attendee_id).in_(chunk))
            .group_by(col(DeviceSession.attendee_id))
        )
        for attendee_id, first, live in rows:
            found[attendee_id] = (first, int(live or 0))
    return found


def _count(session: Session, meeting_id: int) -> int:
    return int(
        session.exec(
            select(func.count()).select_from(Attendee).where(Attendee.meeting_id == meeting_id)
        ).one()
    )


def _count_printed(session: Session, meeting_id: int, now: datetime) -> int:
    return int(
        session.exec(
            select(func.count(func.distinct(AttendeeToken.attendee_id)))
            .join(Attendee, col(Attendee.id) == col(AttendeeToken.attendee_id))
            .where(
                Attendee.meeting_id == meeting_id,
                col(AttendeeToken.printed).is_(True),
                col(AttendeeToken.revoked_at).is_(None),
                col(AttendeeToken.expires_at) > now,
            )
        ).one()
    )


def _count_scanned(session: Session, meeting_id: int) -> int:
    return int(
        session.exec(
            select(func.count(func.distinct(DeviceSession.attendee_id)))
            .join(Attendee, col(Attendee.id) == col(DeviceSession.attendee_id))
            .where(Attendee.meeting_id == meeting_id)
        ).one()
    )


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV/XLSX injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def status_xlsx(status: PickupStatus, *, title: str, timezone: str) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    zone = ZoneInfo(timezone)

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%H:%M %d/%m/%Y") if value else ""

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Nhận tài liệu")
    sheet.append([_cell(title)])
    sheet.append(
        [
            "STT",
            "Họ và tên",
            "Chức vụ",
            "Đơn vị",
            "Thẻ",
            "Cấp thẻ lúc",
            "Quét lần đầu lúc",
            "Số máy đang vào",
            f"Tài liệu đã mở (trên {status.documents})",
            "Các tài liệu đã mở",
        ]
    )
    for number, row in enumerate(status.rows, start=1):
        sheet.append(
            [
                number,
                _cell(row.full_name),
                _cell(row.position),
                _cell(row.unit),
                CARD_LABELS[row.card],
                when(row.card_at),
                when(row.first_scan_at),
                row.devices,
                len(row.opened),
                _cell("; ".join(row.opened)),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

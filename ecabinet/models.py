"""Imports every feature's models so SQLModel.metadata is complete (Alembic, create_all)."""

from ecabinet.agenda.models import AgendaItem
from ecabinet.attendees.models import Attendee
from ecabinet.auth.models import ApiToken, User
from ecabinet.documents.models import Document, DocumentAudience
from ecabinet.jobs.models import Job
from ecabinet.meetings.models import Meeting
from ecabinet.pickup.models import AttendeeToken

__all__ = [
    "AgendaItem",
    "ApiToken",
    "Attendee",
    "AttendeeToken",
    "Document",
    "DocumentAudience",
    "Job",
    "Meeting",
    "User",
]

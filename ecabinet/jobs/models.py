"""Durable jobs: work that must happen even if the process dies, stored in the app's database."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Column, Field, SQLModel, Text

from ecabinet.timeutil import UtcDateTime, utcnow


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for run_at
    RUNNING = "running"  # claimed by a worker until lease_until
    DONE = "done"
    FAILED = "failed"  # attempts exhausted, or the handler said it can never succeed
    CANCELLED = "cancelled"


class Job(SQLModel, table=True):
    __tablename__ = "job"
    __table_args__ = (
        # The claim's order (jobs.service.claim), read from the front of the index however
        # many jobs wait.
        Index("ix_job_claim", "state", text("priority DESC"), "run_at", "id"),
        {"sqlite_autoincrement": True},  # ids are never reused
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64, index=True)  # e.g. "documents.inspect"
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False))  # JSON object
    # Enqueueing twice with one key gives one job: the effect of a change happens once.
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    state: str = Field(default=JobState.QUEUED, max_length=16, index=True)
    priority: int = 0  # higher first
    run_at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False))
    attempts: int = 0
    max_attempts: int = 5
    lease_until: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))
    locked_by: str | None = Field(default=None, max_length=120)
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime, nullable=False)
    )
    finished_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime, nullable=True))

"""UTC time: one clock for services and one column type that always returns aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime
from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (SQLite has no zones) and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def _to_utc(value: datetime) -> datetime:
    if not 1970 <= value.year <= 2200:
        raise ValueError("thời gian nằm ngoài phạm vi cho phép (1970–2200)")
    return value.astimezone(UTC)


# Accepted with any offset, always held and returned in UTC.
UtcInstant = Annotated[AwareDatetime, AfterValidator(_to_utc)]

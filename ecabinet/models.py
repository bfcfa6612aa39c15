"""Imports every feature's models so SQLModel.metadata is complete (Alembic, create_all)."""

from __future__ import annotations

from ecabinet.features import feature_modules

MODELS = feature_modules("models")

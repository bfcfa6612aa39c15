"""The feature packages, in the order the app initialises them: the one list to edit when a
feature is added. app.py, models.py and the command line read it; no feature does."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# jobs first: the others register job kinds with its runner. auth and pickup register the
# credentials they own before live builds its namespace. workspace composes the rest.
FEATURES: tuple[str, ...] = (
    "jobs",
    "auth",
    "meetings",
    "agenda",
    "documents",
    "attendees",
    "pickup",
    "printing",
    "notify",
    "audit",
    "live",
    "workspace",
    "ops",
)


def feature_modules(part: str) -> list[ModuleType]:
    """Each feature's `part` module (models, cli), for the features that have one. Only the
    parts are imported: the models stay importable without Flask."""
    found = []
    for name in FEATURES:
        spec = importlib.util.find_spec(f"ecabinet.{name}")
        if spec is None or spec.submodule_search_locations is None:
            continue  # a single-module feature (ops) has no parts
        if importlib.util.find_spec(f"ecabinet.{name}.{part}") is not None:
            found.append(importlib.import_module(f"ecabinet.{name}.{part}"))
    return found

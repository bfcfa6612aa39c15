"""ecabinet: a paperless meeting room server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "create_app"]

if TYPE_CHECKING:
    from ecabinet.app import create_app


def __getattr__(name: str) -> Any:
    # Lazy, so `ecabinet serve` can monkey-patch for eventlet before Flask or SQLAlchemy load.
    if name == "create_app":
        from ecabinet.app import create_app

        return create_app
    raise AttributeError(name)

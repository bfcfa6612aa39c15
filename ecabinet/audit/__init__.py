"""The meeting's record: who changed what, before and after (the secretary's audit trail,
and later the source of "agenda changed" notices). Services record `events.Audited`; this
feature writes it in the same transaction and shows it per meeting."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.audit import routes, service

    service.install(app.extensions["ecabinet.events"])
    app.register_blueprint(routes.bp)

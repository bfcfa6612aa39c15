"""Meeting documents: upload, list, serve (as files, or as page images), delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.documents import (
        api,
        notes_api,
        page_routes,
        pages,
        processing,
        readahead,
        routes,
        upload,
    )
    from ecabinet.documents.office import OfficeSettings
    from ecabinet.documents.pdf import PdfLimits
    from ecabinet.documents.scopes import register_scopes

    register_scopes(app.extensions["ecabinet.scopes"])
    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(notes_api.bp)
    app.register_blueprint(page_routes.bp)
    app.register_blueprint(readahead.bp)
    app.extensions["ecabinet.events"].on_record(
        upload.release_blobs_of_deleted_meetings(
            app.extensions["ecabinet.db"], app.extensions["ecabinet.storage"]
        )
    )
    processing.register(
        app.extensions["ecabinet.jobs"],
        app.extensions["ecabinet.db"],
        app.extensions["ecabinet.storage"],
        PdfLimits.from_config(app.config),
        OfficeSettings.from_config(app.config),
    )
    pages.register(
        app.extensions["ecabinet.jobs"],
        app.extensions["ecabinet.storage"],
        PdfLimits.from_config(app.config),
    )

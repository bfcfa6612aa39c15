"""The secretary's workspace: the pages that put a meeting's agenda, documents and attendees
together. It composes the features; none of them imports it (their forms on this page reach
it through web.forms.submit_workspace_form and the renderer registered here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.web.forms import WORKSPACE_RENDERER
    from ecabinet.workspace import api, routes

    app.register_blueprint(routes.bp)
    app.register_blueprint(api.bp)
    app.extensions[WORKSPACE_RENDERER] = routes.render_workspace

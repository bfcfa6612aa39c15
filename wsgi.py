"""WSGI entry point, e.g. `gunicorn -k eventlet -w 1 wsgi:app`. Patches before any import."""

from ecabinet.serving import async_mode_from_env, patch

patch(async_mode_from_env())

from ecabinet import create_app  # noqa: E402  (must follow monkey patching)

app = create_app()

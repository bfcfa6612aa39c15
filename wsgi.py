"""WSGI entry point, e.g. `gunicorn -k eventlet -w 1 wsgi:app`. Patches before any import."""

from ecabinet.serving import configured_async_mode, patch, start_job_runner

patch(configured_async_mode())

from ecabinet import create_app  # noqa: E402  (must follow monkey patching)

app = create_app()
start_job_runner(app)

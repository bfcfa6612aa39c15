"""Configuration: defaults → instance/config.py → ECABINET_* environment → explicit overrides."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from limits import parse as parse_limit
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ASYNC_MODES = ("eventlet", "gevent", "threading")


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names it."""


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'ecabinet.db'}",
        "ASYNC_MODE": "eventlet",
        "STORAGE_DIR": str(instance_path / "storage"),
        # Stored files are sealed with AES-GCM (ecabinet/sealing.py) under keys kept in this
        # file, outside the database and the storage folder: keep it off the backups of both.
        "ENCRYPT_FILES": True,
        "KEY_FILE": str(instance_path / "keys" / "files.key"),
        "MAX_UPLOAD_MB": 50,
        "MAX_DOCUMENTS_PER_MEETING": 300,
        # Sized for a national congress with linked sites (the field ran ~41,000 in one session).
        "MAX_ATTENDEES_PER_MEETING": 60_000,
        # Uploaded PDFs are read in a child process within these bounds (documents/pdf.py).
        "PDF_MAX_PAGES": 2000,
        "PDF_CHECK_SECONDS": 20,
        "PDF_CHECK_MEMORY_MB": 768,
        # Word / Excel uploads are stored and downloadable; with a LibreOffice binary here
        # (e.g. /usr/bin/soffice) they are also converted to PDF for tablets.
        "OFFICE_CONVERTER": "",
        "OFFICE_CONVERT_SECONDS": 60,
        # Durable jobs: `ecabinet serve` runs them in-process unless JOBS_IN_PROCESS is false
        # (then run `ecabinet worker`, one or several).
        "JOBS_IN_PROCESS": True,
        "JOB_LEASE_SECONDS": 120,
        "JOB_POLL_SECONDS": 1.0,
        # Cards (and the tablets they let in) work until this many days after their meeting
        # ends; for a meeting with no date yet, ATTENDEE_TOKEN_DAYS from printing.
        "PICKUP_DAYS_AFTER_MEETING": 3,
        "ATTENDEE_TOKEN_DAYS": 30,
        "API_TOKEN_HOURS": 12,
        "LOGIN_RATE_LIMIT": "10 per minute",
        "PICKUP_FAILURE_LIMIT": "20 per minute",  # wrong cards (QR or typed code) per address
        # Wrong typed codes from everywhere together: 50-bit codes stay out of reach even from
        # many addresses (a flood only delays typed codes; QR cards still open).
        "PICKUP_CODE_GLOBAL_LIMIT": "300 per minute",
        "LIVE_CONTROL_LIMIT": "10 per second",  # chair controls per connection / user
        "SCREEN_PAIR_LIMIT": "10 per minute",  # new room-screen codes per address
        "SCREEN_PAIR_GLOBAL_LIMIT": "300 per minute",  # ... and from everyone together
        "SCREEN_CODE_LIMIT": "10 per minute",  # pairing attempts per staff user
        # Every socket event, per connection and per credential (all sockets of one token or
        # login together), and how many events of one connection may be handled at once.
        "SOCKET_EVENT_LIMIT": "10 per second",
        "SOCKET_CREDENTIAL_LIMIT": "30 per second",
        "SOCKET_MAX_IN_FLIGHT": 4,
        # Base of links in QR codes and on cards. Empty: the address the request came to, but
        # only for hosts listed in PUBLIC_HOSTS (or loopback); never a client-chosen Host.
        "PUBLIC_URL": "",
        "PUBLIC_HOSTS": [],
        "ALLOWED_ORIGINS": [],  # extra Socket.IO origins (linked sites); same-origin always allowed
        "SESSION_COOKIE_SECURE": False,  # agency LANs often serve plain HTTP
        # Proxies in front that set X-Forwarded-For/-Proto/-Host (nginx or Caddy giving the LAN
        # HTTPS): 0 trusts no such header, so a client cannot claim another address.
        "PROXY_COUNT": 0,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "ecabinet_session",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "WTF_CSRF_CHECK_DEFAULT": False,  # web.py decides: bearer-token API calls are exempt
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # SMS (notify): the gateway by name, its options (ECABINET_SMS_OPTIONS__URL=...), and
        # how the relay paces and retries. "log" sends nothing: it records, for demos.
        "SMS_GATEWAY": "log",
        "SMS_OPTIONS": {},
        "SMS_RATE_PER_SECOND": 10,
        "SMS_RETRY_SECONDS": 5,
        "SMS_RETRY_MAX_SECONDS": 300,
        "SMS_GIVE_UP_HOURS": 24,
        "SMS_POLL_SECONDS": 10,
        "SMS_PRICE_PER_SEGMENT": 0,
        # Once invitations have gone: a reminder this many hours before the start (0: none),
        # and the edits made within this many minutes told in one notice (0: no notices).
        "SMS_REMINDER_HOURS": 24,
        "SMS_CHANGE_WINDOW_MINUTES": 10,
        "LOG_LEVEL": "INFO",
        "TIMEZONE": "Asia/Ho_Chi_Minh",  # how times are typed and shown; stored in UTC
    }


def load_config(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Layer every source onto `app.config`, then validate; nothing is read at import time."""
    instance_path = Path(app.instance_path)
    app.config.update(defaults(instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ECABINET")
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance_path)
    validate(app.config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024


def validate(config: Mapping[str, Any]) -> None:
    """Fail fast with the name of the bad setting."""
    if config["ASYNC_MODE"] not in ASYNC_MODES:
        raise ConfigError(
            f"ECABINET_ASYNC_MODE={config['ASYNC_MODE']!r}: must be one of {', '.join(ASYNC_MODES)}"
        )
    try:
        url = make_url(str(config["DATABASE_URL"]))
    except ArgumentError as exc:
        raise ConfigError(f"ECABINET_DATABASE_URL: not a database URL ({exc})") from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError("ECABINET_DATABASE_URL: only sqlite:// and postgresql:// are supported")
    for name in (
        "MAX_UPLOAD_MB",
        "MAX_DOCUMENTS_PER_MEETING",
        "MAX_ATTENDEES_PER_MEETING",
        "ATTENDEE_TOKEN_DAYS",
        "PICKUP_DAYS_AFTER_MEETING",
        "API_TOKEN_HOURS",
        "SOCKET_MAX_IN_FLIGHT",
        "PDF_MAX_PAGES",
        "PDF_CHECK_SECONDS",
        "PDF_CHECK_MEMORY_MB",
        "OFFICE_CONVERT_SECONDS",
        "JOB_LEASE_SECONDS",
    ):
        value = config[name]
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"ECABINET_{name}={value!r}: must be a positive whole number")
    hops = config["PROXY_COUNT"]
    if not isinstance(hops, int) or isinstance(hops, bool) or not 0 <= hops <= 5:
        raise ConfigError(f"ECABINET_PROXY_COUNT={hops!r}: must be a whole number from 0 to 5")
    if not isinstance(config["PUBLIC_HOSTS"], list) or not all(
        isinstance(h, str) for h in config["PUBLIC_HOSTS"]
    ):
        raise ConfigError(
            'ECABINET_PUBLIC_HOSTS: must be a JSON list of host names, e.g. ["hop.tinhuy.vn"]'
        )
    if not isinstance(config["ALLOWED_ORIGINS"], list):
        raise ConfigError('ECABINET_ALLOWED_ORIGINS: must be a JSON list, e.g. ["https://a.vn"]')
    converter = str(config["OFFICE_CONVERTER"])
    if converter and shutil.which(converter) is None:  # an executable path or a name on PATH
        raise ConfigError(
            f"ECABINET_OFFICE_CONVERTER={converter!r}: no such program; install LibreOffice "
            "(apt install libreoffice-writer-nogui libreoffice-calc-nogui) and give the path "
            "of soffice, or leave it empty to store Word / Excel files without converting"
        )
    # One check converts, then reads the PDF (and may read an uploaded one first): all of it
    # must end inside the job's lease, or a second worker takes the same file over.
    check = int(config["OFFICE_CONVERT_SECONDS"]) + 2 * int(config["PDF_CHECK_SECONDS"])
    if converter and check + 10 > int(config["JOB_LEASE_SECONDS"]):
        raise ConfigError(
            f"ECABINET_OFFICE_CONVERT_SECONDS={config['OFFICE_CONVERT_SECONDS']!r}: with two "
            f"PDF checks ({config['PDF_CHECK_SECONDS']} s each) a conversion must end at least "
            f"10 s inside ECABINET_JOB_LEASE_SECONDS={config['JOB_LEASE_SECONDS']}; lower it "
            "or raise the lease"
        )
    public_url = str(config["PUBLIC_URL"])
    if public_url and not public_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"ECABINET_PUBLIC_URL={public_url!r}: must start with http:// or https://"
        )
    try:
        ZoneInfo(str(config["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"ECABINET_TIMEZONE={config['TIMEZONE']!r}: unknown time zone") from None
    for name in (
        "LOGIN_RATE_LIMIT",
        "PICKUP_FAILURE_LIMIT",
        "PICKUP_CODE_GLOBAL_LIMIT",
        "LIVE_CONTROL_LIMIT",
        "SCREEN_PAIR_LIMIT",
        "SCREEN_PAIR_GLOBAL_LIMIT",
        "SCREEN_CODE_LIMIT",
        "SOCKET_EVENT_LIMIT",
        "SOCKET_CREDENTIAL_LIMIT",
    ):
        try:
            parse_limit(str(config[name]))
        except ValueError:
            raise ConfigError(
                f'ECABINET_{name}={config[name]!r}: expected e.g. "10 per minute"'
            ) from None
    poll = config["JOB_POLL_SECONDS"]
    if not isinstance(poll, int | float) or isinstance(poll, bool) or not 0 < poll <= 60:
        raise ConfigError(f"ECABINET_JOB_POLL_SECONDS={poll!r}: a number of seconds, 0 to 60")
    for name in ("SESSION_COOKIE_SECURE", "JOBS_IN_PROCESS"):
        if not isinstance(config[name], bool):
            raise ConfigError(f"ECABINET_{name}={config[name]!r}: must be true or false")
    if str(config["LOG_LEVEL"]).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(
            f"ECABINET_LOG_LEVEL={config['LOG_LEVEL']!r}: DEBUG, INFO, WARNING or ERROR"
        )
    _check_writable_dir("STORAGE_DIR", str(config["STORAGE_DIR"]))
    for name, low, high in (
        ("SMS_RATE_PER_SECOND", 0.01, 1000),
        ("SMS_RETRY_SECONDS", 0.01, 3600),
        ("SMS_RETRY_MAX_SECONDS", 0.01, 86400),
        ("SMS_GIVE_UP_HOURS", 0.001, 24 * 14),
        ("SMS_POLL_SECONDS", 0.1, 3600),
        ("SMS_PRICE_PER_SEGMENT", 0, 100_000),
        ("SMS_REMINDER_HOURS", 0, 24 * 14),
        ("SMS_CHANGE_WINDOW_MINUTES", 0, 24 * 60),
    ):
        value = config[name]
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            raise ConfigError(f"ECABINET_{name}={value!r}: a number from {low} to {high}")
    if not isinstance(config["SMS_OPTIONS"], dict):
        raise ConfigError(
            "ECABINET_SMS_OPTIONS: set each option on its own, e.g. ECABINET_SMS_OPTIONS__URL"
        )
    if not isinstance(config["ENCRYPT_FILES"], bool):
        raise ConfigError(
            f"ECABINET_ENCRYPT_FILES={config['ENCRYPT_FILES']!r}: must be true or false"
        )
    key_file = Path(str(config["KEY_FILE"])).resolve()
    if key_file.is_relative_to(Path(str(config["STORAGE_DIR"])).resolve()):
        # A key beside the files it seals goes into the same backup: it protects nothing.
        raise ConfigError(
            f"ECABINET_KEY_FILE={str(config['KEY_FILE'])!r}: must be outside STORAGE_DIR"
        )
    if len(str(config["SECRET_KEY"])) < 32:
        raise ConfigError("ECABINET_SECRET_KEY: must be at least 32 characters")


def _check_writable_dir(name: str, folder: str) -> None:
    path = Path(folder)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"ECABINET_{name}={folder!r}: cannot create it ({exc.strerror})"
        ) from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"ECABINET_{name}={folder!r}: not writable by this user")


def _instance_secret(instance_path: Path) -> str:
    """Read the secret key from the instance folder, creating it (mode 600) on first run."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    tmp.chmod(0o600)
    tmp.replace(path)
    return key

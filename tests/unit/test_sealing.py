"""Stored files sealed at rest (AES-GCM in chunks): nothing of a file on disk, the exact bytes
back with Range, a damaged file refused rather than served, a missing or wrong key file
stopping the start, and `ecabinet keys rotate`."""

from __future__ import annotations

import io
import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from ecabinet import sealing
from ecabinet.config import ConfigError
from ecabinet.db import Database
from ecabinet.documents.storage import Storage
from ecabinet.meetings.models import Meeting
from tests.conftest import Login, app_config
from tests.factories import MeetingFixture, make_attendee, make_document, make_token


def test_sealed_bytes_read_back_exactly_at_any_offset() -> None:
    ring = sealing.KeyRing.new()
    rng = random.Random(5)  # noqa: S311  (offsets, not secrets)
    for size in (0, 1, sealing.CHUNK - 1, sealing.CHUNK, sealing.CHUNK + 1, 5 * sealing.CHUNK + 7):
        plain = os.urandom(size)
        sealed = sealing.seal_bytes(plain, ring)
        assert size < 16 or plain[:64] not in sealed  # (a byte or two may occur by chance)
        stream, length = sealing.open_plain_bytes(sealed, ring)
        assert length == size
        assert stream.read() == plain
        for _ in range(40):
            start = rng.randint(0, size)
            end = rng.randint(start, size)
            stream.seek(start)
            assert stream.read(end - start) == plain[start:end]


def test_a_damaged_or_foreign_seal_never_reads_as_garbage() -> None:
    ring = sealing.KeyRing.new()
    plain = os.urandom(3 * sealing.CHUNK)
    sealed = sealing.seal_bytes(plain, ring)
    header = sealing.read_header(io.BytesIO(sealed))
    assert header is not None
    box = sealing.CHUNK + sealing.TAG
    flipped = bytearray(sealed)
    flipped[header.length + 10] ^= 1
    swapped = (
        sealed[: header.length]
        + sealed[header.length + box : header.length + 2 * box]
        + sealed[header.length : header.length + box]
        + sealed[header.length + 2 * box :]
    )
    resized = bytearray(sealed)
    resized[header.length - 9] ^= 1  # the plain size in the header
    for damaged in (bytes(flipped), swapped, bytes(resized), sealed[:-5]):
        stream, _ = sealing.open_plain_bytes(damaged, ring)
        with pytest.raises(sealing.SealBroken):
            stream.read()
    other = sealing.KeyRing(ring.current, {ring.current: os.urandom(32)})
    stream, _ = sealing.open_plain_bytes(sealed, other)
    with pytest.raises(sealing.SealBroken):
        stream.read()


def stored_files(storage: Storage) -> list[Path]:
    return list(storage.stored_files())


def test_every_stored_file_is_sealed_and_served_exactly(
    app: Flask,
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    assert app_storage.ring is not None  # on by default
    document = make_document(app_db, app_storage, meeting, title="Phương án nhân sự")
    with app_db.unit_of_work() as session:
        row = session.get(Meeting, meeting.id)
        assert row is not None
        row.confidentiality = "mat"
    original = app_storage.read_bytes(document.sha256)
    assert original.startswith(b"%PDF")
    tablet = app.test_client()
    tablet.get(f"/p/{make_token(app_db, meeting, make_attendee(app_db, meeting))}")
    tablet.get(f"/documents/{document.id}/file").close()  # makes the stamped copy
    files = stored_files(app_storage)
    kinds = {p.relative_to(app_storage.root).parts[0] for p in files}
    assert {"thumbs", "stamped", document.sha256[:2]} <= kinds
    for path in files:
        raw = path.read_bytes()
        assert raw.startswith(sealing.MAGIC), path
        assert b"%PDF" not in raw
        assert b"\x89PNG" not in raw
    login.as_staff(meeting.secretary)
    url = f"/documents/{document.id}/file"
    whole = client.get(url)
    assert whole.data == original
    start = len(original) // 2  # past the first 64 KiB chunk when the file has one
    ranged = client.get(url, headers={"Range": f"bytes={start}-{start + 999}"})
    assert ranged.status_code == 206
    assert ranged.data == original[start : start + 1000]
    assert ranged.headers["Content-Range"] == f"bytes {start}-{start + 999}/{len(original)}"
    again = client.get(url, headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304
    thumb = client.get(f"/documents/{document.id}/thumbnail.png")
    assert thumb.data.startswith(b"\x89PNG")
    for response in (whole, ranged, again, thumb):
        response.close()


def test_a_damaged_file_is_refused_with_a_clear_error(
    client: FlaskClient,
    login: Login,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
) -> None:
    document = make_document(app_db, app_storage, meeting)
    path = app_storage.path_for(document.sha256)
    raw = bytearray(path.read_bytes())
    raw[200] ^= 0xFF
    path.write_bytes(bytes(raw))
    login.as_staff(meeting.secretary)
    response = client.get(f"/documents/{document.id}/file")
    assert response.status_code == 503
    assert "file_seal_broken" in response.get_data(as_text=True)
    assert b"%PDF" not in response.data


def make_app(db_url: str, tmp_path: Path, **extra: object) -> Flask:
    from ecabinet.app import create_app

    return create_app(app_config(db_url, tmp_path, **extra))


def test_a_missing_or_wrong_key_file_stops_the_start(
    app: Flask,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
    db_url: str,
    tmp_path: Path,
) -> None:
    make_document(app_db, app_storage, meeting)
    key_file = Path(app.config["KEY_FILE"])
    kept = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(ConfigError, match=r"key file .* is missing"):
        make_app(db_url, tmp_path)
    sealing.KeyRing.new().save(key_file)  # somebody else's key file
    with pytest.raises(ConfigError, match="not their key file"):
        make_app(db_url, tmp_path)
    key_file.write_bytes(kept)
    again = make_app(db_url, tmp_path)  # the right one: starts
    again.extensions["ecabinet.live"].close()
    again.extensions["ecabinet.db"].dispose()


def test_rotation_seals_everything_again_and_drops_the_old_key(
    app: Flask,
    app_db: Database,
    app_storage: Storage,
    meeting: MeetingFixture,
    db_url: str,
    tmp_path: Path,
) -> None:
    document = make_document(app_db, app_storage, meeting)
    before = app_storage.read_bytes(document.sha256)
    key_file = Path(app.config["KEY_FILE"])
    old = sealing.KeyRing.load(key_file).current
    plain = app_storage.root / "printouts" / "99.pdf"  # a file from before sealing was on
    plain.parent.mkdir(parents=True, exist_ok=True)
    plain.write_bytes(b"%PDF-1.4 old printout")
    from ecabinet.commands import cli

    env = {f"ECABINET_{k}": str(v) for k, v in app_config(db_url, tmp_path).items()}
    env.pop("ECABINET_TESTING")
    result = CliRunner().invoke(cli, ["keys", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    ring = sealing.KeyRing.load(key_file)
    assert list(ring.keys) == [ring.current] != [old]
    assert all(sealing.key_ids_of(p) == ring.current for p in stored_files(app_storage))
    fresh = make_app(db_url, tmp_path)
    store: Storage = fresh.extensions["ecabinet.storage"]
    assert store.read_bytes(document.sha256) == before
    assert sealing.read_plain(plain, store.ring) == b"%PDF-1.4 old printout"
    fresh.extensions["ecabinet.live"].close()
    fresh.extensions["ecabinet.db"].dispose()


def test_a_rotation_cut_off_midway_leaves_every_file_readable_and_finishes_when_run_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "storage"
    key_file = tmp_path / "keys" / "files.key"
    ring = sealing.ring_for(key_file, root, enabled=True)
    storage = Storage(root, ring)
    texts = {f"{n:02d}/doc{n}": os.urandom(3000) for n in range(6)}
    for name, data in texts.items():
        storage.write(root / name, data)
    written = 0
    write = sealing.write_sealed

    def dies_at_the_fourth(path: Path, data: bytes, ring: sealing.KeyRing | None) -> None:
        nonlocal written
        if written == 3:
            raise KeyboardInterrupt  # as if the process died here
        written += 1
        write(path, data, ring)

    monkeypatch.setattr(sealing, "write_sealed", dies_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        sealing.rotate(key_file, root, storage.stored_files)
    monkeypatch.undo()
    mixed = {sealing.key_ids_of(p) for p in storage.stored_files()}
    assert len(mixed) == 2  # some files on the new key, some still on the old
    after_crash = sealing.ring_for(key_file, root, enabled=True)  # the server would start
    assert after_crash is not None
    for name, data in texts.items():
        assert sealing.read_plain(root / name, after_crash) == data
    done = sealing.rotate(key_file, root, storage.stored_files)
    assert not done.kept_old
    final = sealing.ring_for(key_file, root, enabled=True)
    assert final is not None
    assert list(final.keys) == [done.key_id]
    for name, data in texts.items():
        assert sealing.read_plain(root / name, final) == data

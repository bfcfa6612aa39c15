"""Blob storage: files named by their sha256, written to a temp file and renamed into place.

A blob lands in place before the row that points at it commits, and leaves after the row that
pointed at it was deleted. Between the two sits an *intent*, a marker file written first and
removed once the outcome is known: after a crash, start-up finds the intent and deletes the
blob unless a row points at it (documents.upload.recover_interrupted). So no blob outlives its
rows and no committed row lacks its blob, whenever the process dies.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ecabinet import sealing
from ecabinet.errors import Invalid, TooLarge

CHUNK = 64 * 1024


@dataclass(frozen=True)
class ReceivedBlob:
    temp_path: Path
    sha256: str
    size: int
    head: bytes  # the first bytes, for type sniffing


class Storage:
    """A folder of immutable blobs: <root>/<sha[:2]>/<sha>; partial writes live in <root>/tmp."""

    def __init__(self, root: str | Path, ring: sealing.KeyRing | None = None) -> None:
        self.root = Path(root)
        # With a key ring every stored file is sealed (ecabinet.sealing); files stored
        # before, or by a storage without one, are read as they are.
        self.ring = ring
        self.tmp = self.root / "tmp"
        self.intents = self.root / "intents"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.intents.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256 hex digest")
        return self.root / sha256[:2] / sha256

    def receive(self, stream: IO[bytes], *, max_bytes: int) -> ReceivedBlob:
        """Copy `stream` to a temp file while hashing it; nothing is left behind on error."""
        temp_path = self.tmp / f"upload-{secrets.token_hex(8)}"
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with temp_path.open("wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(
                            f"Tệp vượt quá {max_bytes // (1024 * 1024)} MB.",
                            code="upload_too_large",
                        )
                    if len(head) < 1024:
                        head += chunk[: 1024 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                    time.sleep(0)  # let a green-thread hub serve others between chunks
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise Invalid("Tệp rỗng.", code="upload_empty", field="file")
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return ReceivedBlob(temp_path, digest.hexdigest(), size, head)

    def promote(self, blob: ReceivedBlob) -> bool:
        """Move a received blob into place. Returns True if this call created the file.
        Call only while holding an intent for its sha256."""
        final = self.path_for(blob.sha256)
        if final.exists():
            blob.temp_path.unlink(missing_ok=True)
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        if self.ring is None:
            os.replace(blob.temp_path, final)
        else:
            self.note_key()
            sealing.seal_file(blob.temp_path, final, self.ring, self.tmp)
            blob.temp_path.unlink(missing_ok=True)
        _fsync_dir(final.parent)
        return True

    def note_key(self) -> None:
        """Before the first file sealed with the current key: the storage folder records
        which key its files need (a missing or wrong key file then stops the start)."""
        if self.ring is not None:
            sealing.note_key(self.root, self.ring)

    def open(self, sha256: str) -> tuple[IO[bytes], int]:
        """A blob's plain bytes as a seekable stream, and their count."""
        return sealing.open_plain(self.path_for(sha256), self.ring)

    def read_bytes(self, sha256: str) -> bytes:
        return sealing.read_plain(self.path_for(sha256), self.ring)

    def plain_path(self, sha256: str, suffix: str = "") -> contextlib.AbstractContextManager[Path]:
        """A path a child process can read the plain blob from (a decrypted scratch copy
        while the block runs, when the blob is sealed)."""
        return sealing.plain_path(self.path_for(sha256), self.ring, self.work_path(suffix))

    def write(self, path: Path, data: bytes) -> None:
        """Derived files (stamped copies, printouts): sealed like blobs, written whole."""
        self.note_key()
        sealing.write_sealed(path, data, self.ring, self.tmp)

    def intend(self, sha256: str) -> Path:
        """Mark that a reference to this blob is about to change (upload or delete); durable
        before the change starts. Remove it with settle() once the outcome is known."""
        self.path_for(sha256)  # validates the name
        marker = self.intents / f"{sha256}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        _fsync_dir(self.intents)
        return marker

    def settle(self, marker: Path) -> None:
        marker.unlink(missing_ok=True)

    def pending_intents(self, *, include_live: bool = False) -> list[tuple[str, Path]]:
        """Intents left behind, as (sha256, marker). Those of processes still running are
        in progress, not left behind, and are skipped unless `include_live`."""
        found = []
        for marker in self.intents.iterdir():
            sha256, _, rest = marker.name.partition(".")
            pid = rest.partition(".")[0]
            if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
                continue  # not ours
            if not include_live and pid.isdigit() and _process_alive(int(pid)):
                continue
            found.append((sha256, marker))
        return found

    def others_intend(self, sha256: str, mine: list[Path]) -> bool:
        """Whether another operation in progress holds an intent for this blob."""
        return any(m not in mine for m in self.intents.glob(f"{sha256}.*"))

    def discard(self, blob: ReceivedBlob) -> None:
        blob.temp_path.unlink(missing_ok=True)

    def delete(self, sha256: str) -> None:
        """The blob, then what was derived from it. In that order: a page render still
        writing checks for the blob after its last write (documents.pages), so whichever
        finishes last, nothing derived outlives the blob."""
        self.path_for(sha256).unlink(missing_ok=True)
        self.thumbnail_path(sha256).unlink(missing_ok=True)
        shutil.rmtree(self.pages_dir(sha256), ignore_errors=True)

    def thumbnail_path(self, sha256: str) -> Path:
        """A blob's first-page PNG: derived data, kept and deleted with the blob."""
        self.path_for(sha256)  # validates the name
        return self.root / "thumbs" / sha256[:2] / f"{sha256}.png"

    def work_path(self, suffix: str = "") -> Path:
        """A scratch file in tmp/ (removed at start-up if a crash leaves it)."""
        return self.tmp / f"work-{secrets.token_hex(8)}{suffix}"

    def pages_dir(self, sha256: str) -> Path:
        """A blob's page images (documents.pages): derived data, deleted with the blob."""
        self.path_for(sha256)  # validates the name
        return self.root / "pages" / sha256[:2] / sha256

    def keep_thumbnail(self, sha256: str, rendered: Path) -> None:
        self.place(rendered, self.thumbnail_path(sha256))

    def place(self, rendered: Path, final: Path) -> None:
        """A file a child process wrote in tmp/ (a first page, a page image) moved to
        `final`: sealed, since a page says as much as the document, and whole or not at
        all (written beside tmp/, then renamed)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        if self.ring is None:
            os.replace(rendered, final)
        else:
            self.note_key()
            sealing.seal_file(rendered, final, self.ring, self.tmp)
            rendered.unlink(missing_ok=True)

    def stored_files(self) -> Iterator[Path]:
        """Every file kept here (blobs, first pages, page images, stamped copies, printouts):
        what a key rotation seals again. Not partial writes, intents or the SEALED marker."""
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.name == sealing.MARKER:
                continue
            if path.parent in (self.tmp, self.intents):
                continue
            yield path

    def blob_hashes(self) -> set[str]:
        """Every blob on disk (for consistency checks)."""
        return {p.name for p in self.root.glob("??/*") if p.is_file()}

    def clean_temp(self) -> int:
        """Remove partial uploads left by a crash; run at start-up."""
        removed = 0
        partials = [*self.tmp.glob("upload-*"), *self.tmp.glob("work-*"), *self.tmp.glob(".*.part")]
        for leftover in partials:
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    """Make a rename or a new entry in `path` survive a power cut, not only a crash."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is starting up: its own old intents are left behind
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""Blob storage: files named by their sha256, written to a temp file and renamed into place."""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

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
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise Invalid("Tệp rỗng.", code="upload_empty", field="file")
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise
        return ReceivedBlob(temp_path, digest.hexdigest(), size, head)

    def promote(self, blob: ReceivedBlob) -> bool:
        """Move a received blob into place. Returns True if this call created the file."""
        final = self.path_for(blob.sha256)
        if final.exists():
            blob.temp_path.unlink(missing_ok=True)
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(blob.temp_path, final)
        return True

    def discard(self, blob: ReceivedBlob) -> None:
        blob.temp_path.unlink(missing_ok=True)

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def clean_temp(self) -> int:
        """Remove partial uploads left by a crash; run at start-up."""
        removed = 0
        for leftover in self.tmp.glob("upload-*"):
            leftover.unlink(missing_ok=True)
            removed += 1
        return removed

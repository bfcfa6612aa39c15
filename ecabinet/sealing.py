"""Files sealed at rest: AES-256-GCM in independent chunks, so a copied disk or backup shows
nothing and a Range request decrypts only the chunks it covers.

Layout of a sealed file:

    b"ECAB1" | key id length (1) | key id | chunk size (4) | plain size (8) | nonce prefix (8)
    then one AES-GCM box per chunk of `chunk size` plain bytes: ciphertext + 16-byte tag

Chunk i is sealed with nonce = prefix + i (4 bytes, big-endian) and the whole header plus i
as associated data, so a chunk moved, a file cut short or a header edited fails to open
instead of reading as garbage. Files without the magic are read as they are (stored before
sealing was on).

Keys live in a key file outside the database and the storage folder (KEY_FILE): a JSON ring
{"current": id, "keys": {id: base64 32 bytes}}. `ecabinet keys rotate` adds a key, seals
every file again with it, then drops the old ones. The storage folder's SEALED marker lists
the key ids its files use, so a missing or wrong key file stops the start-up with a clear
message rather than serving files it cannot open.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import struct
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"ECAB1"
CHUNK = 64 * 1024
TAG = 16
MARKER = "SEALED"


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable or does not hold the keys the files need."""


class SealBroken(RuntimeError):
    """A sealed file failed to open: tampered with, cut short or sealed with another key."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: dict[str, bytes]

    @classmethod
    def new(cls) -> KeyRing:
        key_id = f"k{secrets.token_hex(4)}"
        return cls(key_id, {key_id: AESGCM.generate_key(bit_length=256)})

    def with_new_key(self) -> KeyRing:
        fresh = KeyRing.new()
        return KeyRing(fresh.current, {**self.keys, **fresh.keys})

    def only_current(self) -> KeyRing:
        return KeyRing(self.current, {self.current: self.keys[self.current]})

    def dump(self) -> str:
        keys = {k: base64.b64encode(v).decode() for k, v in self.keys.items()}
        return json.dumps({"current": self.current, "keys": keys}, indent=2) + "\n"

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            data = json.loads(path.read_text())
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            current = str(data["current"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyFileError(f"{path}: not a readable key file ({exc})") from None
        if current not in keys or any(len(k) != 32 for k in keys.values()):
            raise KeyFileError(f"{path}: needs a current key and 32-byte keys")
        return cls(current, keys)

    def save(self, path: Path) -> None:
        """Written whole and readable by this user only."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.dump())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)


@dataclass(frozen=True)
class Header:
    key_id: str
    chunk: int
    size: int
    prefix: bytes
    raw: bytes

    @property
    def length(self) -> int:
        return len(self.raw)


def _header(key_id: str, size: int) -> Header:
    ident = key_id.encode()
    prefix = secrets.token_bytes(8)
    raw = MAGIC + bytes([len(ident)]) + ident + struct.pack(">IQ", CHUNK, size) + prefix
    return Header(key_id, CHUNK, size, prefix, raw)


def read_header(stream: IO[bytes]) -> Header | None:
    """The header of a sealed file, or None for a plain one (the stream is then at 0)."""
    start = stream.read(len(MAGIC) + 1)
    if len(start) < len(MAGIC) + 1 or not start.startswith(MAGIC):
        stream.seek(0)
        return None
    ident = stream.read(start[-1])
    rest = stream.read(12 + 8)
    if len(ident) != start[-1] or len(rest) != 20:
        raise SealBroken("sealed file header cut short")
    chunk, size = struct.unpack(">IQ", rest[:12])
    if not 0 < chunk <= 16 * 1024 * 1024:
        raise SealBroken("sealed file header damaged")
    return Header(ident.decode(errors="replace"), chunk, size, rest[12:], start + ident + rest)


def _box(header: Header, index: int) -> tuple[bytes, bytes]:
    counter = struct.pack(">I", index)
    return header.prefix + counter, header.raw + counter


def seal_stream(source: IO[bytes], size: int, out: IO[bytes], ring: KeyRing) -> None:
    """Seal `size` bytes read from `source` into `out` with the ring's current key."""
    header = _header(ring.current, size)
    aead = AESGCM(ring.keys[ring.current])
    out.write(header.raw)
    index = 0
    remaining = size
    while remaining > 0 or index == 0:
        plain = source.read(min(CHUNK, remaining))
        if len(plain) != min(CHUNK, remaining):
            raise OSError("source shorter than its size")
        nonce, aad = _box(header, index)
        out.write(aead.encrypt(nonce, plain, aad))
        remaining -= len(plain)
        index += 1
        if size == 0:
            break


def seal_bytes(data: bytes, ring: KeyRing) -> bytes:
    out = io.BytesIO()
    seal_stream(io.BytesIO(data), len(data), out, ring)
    return out.getvalue()


def _partial(dest: Path, scratch: Path | None) -> Path:
    """Where a file is written before it is named: `scratch` (the storage's tmp folder, swept
    at start-up, so a kill mid-write leaves nothing among the stored files) or beside it."""
    folder = scratch if scratch is not None else dest.parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f".{dest.name}.{os.getpid()}.{secrets.token_hex(4)}.part"


def write_sealed(
    path: Path, data: bytes, ring: KeyRing | None, scratch: Path | None = None
) -> None:
    """`data` to `path`, sealed when a ring is given: whole, flushed, then named."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(path, scratch)
    try:
        with open(partial, "wb") as out:
            out.write(data if ring is None else seal_bytes(data, ring))
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def seal_file(plain: Path, dest: Path, ring: KeyRing, scratch: Path | None = None) -> None:
    """Seal the file `plain` to `dest` (whole, flushed, then named)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial(dest, scratch)
    try:
        with open(plain, "rb") as source, open(partial, "wb") as out:
            seal_stream(source, os.fstat(source.fileno()).st_size, out, ring)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)


class SealedReader(io.RawIOBase):
    """A sealed file read as its plain bytes: seekable, one chunk decrypted at a time."""

    def __init__(self, raw: BinaryIO, header: Header, ring: KeyRing) -> None:
        super().__init__()
        key = ring.keys.get(header.key_id)
        if key is None:
            raw.close()
            raise SealBroken(f"sealed with key {header.key_id!r}, which the key file lacks")
        self._raw = raw
        self._header = header
        self._aead = AESGCM(key)
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self.size = header.size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _chunk(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        h = self._header
        self._raw.seek(h.length + index * (h.chunk + TAG))
        plain_len = min(h.chunk, h.size - index * h.chunk)
        sealed = self._raw.read(plain_len + TAG)
        nonce, aad = _box(h, index)
        try:
            plain = self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise SealBroken("a sealed file failed its check (damaged or wrong key)") from None
        self._cached = (index, plain)
        return plain

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._pos >= self.size:
            return 0
        index, offset = divmod(self._pos, self._header.chunk)
        piece = self._chunk(index)[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self._pos += len(piece)
        return len(piece)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_plain(path: Path, ring: KeyRing | None) -> tuple[BinaryIO, int]:
    """A stream of the file's plain bytes and their count, sealed or not."""
    raw = open(path, "rb")  # noqa: SIM115  (handed to the caller, who closes it)
    try:
        header = read_header(raw)
    except BaseException:
        raw.close()
        raise
    if header is None:
        return raw, os.fstat(raw.fileno()).st_size
    if ring is None:
        raw.close()
        raise SealBroken("a sealed file, but no key file is configured")
    reader = SealedReader(raw, header, ring)
    return io.BufferedReader(reader, buffer_size=CHUNK), header.size


def read_plain(path: Path, ring: KeyRing | None) -> bytes:
    stream, _size = open_plain(path, ring)
    with stream:
        return stream.read()


def is_sealed(path: Path) -> bool:
    with open(path, "rb") as raw:
        return raw.read(len(MAGIC)) == MAGIC


@contextmanager
def plain_path(path: Path, ring: KeyRing | None, scratch: Path) -> Iterator[Path]:
    """A path to read the plain file by (a child process, LibreOffice): the file itself when
    it is not sealed, else a decrypted copy at `scratch`, readable by this user only and
    removed when the block ends."""
    if not is_sealed(path):
        yield path
        return
    stream, _size = open_plain(path, ring)
    try:
        fd = os.open(scratch, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out, stream:
            while block := stream.read(CHUNK):
                out.write(block)
        yield scratch
    finally:
        scratch.unlink(missing_ok=True)


CHECK = b"ecabinet sealed files"


def note_key(storage_root: Path, ring: KeyRing) -> None:
    """Record in the storage folder that its files use the ring's current key, with a small
    sealed check a key file can later be tested against (no key is written here)."""
    marker = storage_root / MARKER
    known = _marker(marker)
    if ring.current in known:
        return
    known[ring.current] = base64.b64encode(seal_bytes(CHECK, ring.only_current())).decode()
    write_sealed(marker, (json.dumps({"keys": known}, indent=2) + "\n").encode(), None)


def forget_keys_except(storage_root: Path, ring: KeyRing) -> None:
    """After a rotation: only the current key is in use."""
    marker = storage_root / MARKER
    known = {k: v for k, v in _marker(marker).items() if k == ring.current}
    write_sealed(marker, (json.dumps({"keys": known}, indent=2) + "\n").encode(), None)


def _marker(marker: Path) -> dict[str, str]:
    if not marker.exists():
        return {}
    try:
        data = json.loads(marker.read_text())
        return {str(k): str(v) for k, v in data["keys"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyFileError(f"{marker}: unreadable ({exc})") from None


def ring_for(key_file: Path, storage_root: Path, *, enabled: bool) -> KeyRing | None:
    """The key ring the server seals and opens files with, checked against what the stored
    files need; a fresh one is made (and saved) on a first start with nothing sealed yet.
    KeyFileError says what is wrong and what to do."""
    needed = _marker(storage_root / MARKER)
    if not key_file.exists():
        if needed:
            raise KeyFileError(
                f"the key file {key_file} is missing, and the stored files were sealed with "
                f"key(s) {', '.join(sorted(needed))}: restore the key file (ECABINET_KEY_FILE) "
                "from where it is kept; without it those files cannot be read"
            )
        if not enabled:
            return None
        ring = KeyRing.new()
        ring.save(key_file)
        return ring
    ring = KeyRing.load(key_file)
    for key_id, sealed_check in needed.items():
        if key_id not in ring.keys:
            raise KeyFileError(
                f"the key file {key_file} lacks key {key_id}, which the stored files were "
                "sealed with: this is not their key file"
            )
        stream, _size = open_plain_bytes(base64.b64decode(sealed_check), ring)
        try:
            if stream.read() != CHECK:
                raise SealBroken("check value differs")
        except SealBroken:
            raise KeyFileError(
                f"the key file {key_file} holds a different key {key_id} than the one the "
                "stored files were sealed with: this is not their key file"
            ) from None
    return ring


def open_plain_bytes(data: bytes, ring: KeyRing) -> tuple[BinaryIO, int]:
    raw = io.BytesIO(data)
    header = read_header(raw)
    if header is None:
        return raw, len(data)
    return io.BufferedReader(SealedReader(raw, header, ring)), header.size


@dataclass(frozen=True)
class Rotation:
    resealed: int  # files sealed again with the new key
    key_id: str  # the new current key
    kept_old: bool  # old keys kept: files still used them (a server wrote meanwhile)


def rotate(key_file: Path, storage_root: Path, files: Callable[[], Iterable[Path]]) -> Rotation:
    """`ecabinet keys rotate`: a new key becomes current, every file is sealed again with it
    (plain ones too), then the old keys leave the key file. Safe to interrupt and run again:
    the key file keeps every key until no file needs the old ones. Run it with the server
    stopped; a server still writing with an old key makes it keep that key (and say so)."""
    ring = KeyRing.load(key_file) if key_file.exists() else KeyRing.new()
    fresh = ring.with_new_key()
    fresh.save(key_file)
    note_key(storage_root, fresh)
    resealed = 0
    for path in list(files()):
        if key_ids_of(path) == fresh.current:
            continue
        data = read_plain(path, fresh)
        write_sealed(path, data, fresh)
        resealed += 1
    remaining = [p for p in files() if key_ids_of(p) not in (None, fresh.current)]
    if remaining:
        return Rotation(resealed, fresh.current, kept_old=True)
    final = fresh.only_current()
    # The marker first: cut off between the two, the key file still holds every key the
    # marker names, so the server starts and a second run finishes the job.
    forget_keys_except(storage_root, final)
    final.save(key_file)
    return Rotation(resealed, fresh.current, kept_old=False)


def key_ids_of(path: Path) -> str | None:
    with open(path, "rb") as raw:
        header = read_header(raw)
    return None if header is None else header.key_id

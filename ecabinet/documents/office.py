"""Word (.docx) and Excel (.xlsx) files: told apart from PDFs on upload, checked in the
documents.inspect job, and converted to PDF with headless LibreOffice only when the operator
configured it (OFFICE_CONVERTER). Without a converter they are stored and downloaded as they
are; with one, tablets read the converted PDF and the original stays downloadable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from ecabinet.errors import Invalid

log = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Extension → (content type, the part every such file has, what people call it).
OFFICE_TYPES = {
    ".docx": (DOCX, "word/document.xml", "Word (.docx)"),
    ".xlsx": (XLSX, "xl/workbook.xml", "Excel (.xlsx)"),
}
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx"}
ACCEPTED = "PDF, Word (.docx) hoặc Excel (.xlsx)"

# A zip that unpacks to more than this, or holds more parts, is refused (a zip bomb).
MAX_UNPACKED = 300 * 1024 * 1024
MAX_PARTS = 20_000
MAX_RATIO = 200


@dataclass(frozen=True)
class OfficeSettings:
    """config: OFFICE_CONVERTER (a soffice binary; empty: no conversion) and
    OFFICE_CONVERT_SECONDS (wall clock for one file)."""

    converter: str = ""
    seconds: int = 120

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OfficeSettings:
        return cls(
            converter=str(config.get("OFFICE_CONVERTER") or ""),
            seconds=int(config.get("OFFICE_CONVERT_SECONDS") or 120),
        )


def kind_of(head: bytes, filename: str) -> str:
    """The content type an upload is stored as, from its first bytes and its name; anything
    else is a clear 422. The cheap check, done on the request."""
    if head.lstrip(b"\r\n\t ")[:5] == b"%PDF-":
        return PDF
    extension = PurePath(filename.lower()).suffix
    if extension in OFFICE_TYPES:
        content_type, _part, name = OFFICE_TYPES[extension]
        if head[:4] == b"PK\x03\x04":
            return content_type
        if head[:8] == bytes.fromhex("D0CF11E0A1B11AE1"):  # an OLE box: a password-protected file
            raise Invalid(
                f"Tệp {name} có mật khẩu. Hãy bỏ mật khẩu rồi tải lên lại.",
                code="office_encrypted",
                field="file",
            )
        raise Invalid(f"Tệp không phải {name}.", code="not_an_office_file", field="file")
    if extension in (".doc", ".xls", ".ppt", ".pptx", ".odt", ".ods"):
        raise Invalid(
            f"Chưa nhận định dạng {extension}. Hãy lưu thành {ACCEPTED} rồi tải lên.",
            code="unsupported_file",
            field="file",
        )
    raise Invalid("Tệp không phải PDF.", code="not_a_pdf", field="file")


def check_office(path: Path, content_type: str) -> None:
    """The job's check of a .docx / .xlsx: a readable zip, within bounds, with the part
    every such file has. Reads only the zip's directory, never unpacks it."""
    extension = EXTENSIONS[content_type]
    _type, main_part, name = OFFICE_TYPES[extension]
    unreadable = Invalid(f"Không đọc được tệp {name}.", code="office_unreadable", field="file")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise unreadable from None
    names = {part.filename for part in parts}
    if "[Content_Types].xml" not in names or main_part not in names:
        raise unreadable
    unpacked = sum(part.file_size for part in parts)
    packed = max(1, sum(part.compress_size for part in parts))
    if len(parts) > MAX_PARTS or unpacked > MAX_UNPACKED or unpacked / packed > MAX_RATIO:
        raise Invalid(
            f"Tệp {name} quá lớn khi giải nén, máy chủ không nhận.",
            code="office_too_large",
            field="file",
        )


def convert_to_pdf(path: Path, content_type: str, settings: OfficeSettings, into: Path) -> bool:
    """Convert with LibreOffice into `into`; False (logged) when there is no converter, it
    fails or it runs out of time: the original is then served as it is."""
    if not settings.converter:
        return False
    with tempfile.TemporaryDirectory(prefix="ecabinet-office-") as work:
        folder = Path(work)
        source = folder / f"input{EXTENSIONS[content_type]}"  # LibreOffice picks a filter by it
        shutil.copyfile(path, source)
        command = [
            settings.converter,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            # Its own profile: two conversions at once must not share (and lock) one.
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        environment = {"HOME": str(folder), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        try:
            # soffice is a script that starts soffice.bin as a child: on a timeout the whole
            # process group is killed, so no converter keeps running on a hostile file.
            process = subprocess.Popen(  # noqa: S603  (the operator's converter, our arguments)
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=environment,
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("the office converter %s cannot run: %s", settings.converter, exc)
            return False
        try:
            _out, error = process.communicate(timeout=settings.seconds)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            log.warning("converting %s to PDF ran out of time (%s s)", path.name, settings.seconds)
            return False
        finally:
            if process.poll() is None:
                _kill_group(process)
        produced = folder / "out" / "input.pdf"
        if process.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            log.warning(
                "converting %s to PDF failed (exit %s): %s",
                path.name,
                process.returncode,
                error[-300:].decode(errors="replace"),
            )
            return False
        shutil.move(str(produced), into)
        return True


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()  # reap it and close its pipes

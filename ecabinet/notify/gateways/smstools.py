"""`smstools`: a GSM modem driven by smstools3 (Debian package `smstools`), through its spool
folders. No Internet, no provider: a SIM card in a USB modem on the server.

A message is a file named by its client id, written whole elsewhere and renamed into
`outgoing` (smstools would send a half-written file). smstools moves it to `sent` (adding
`Message_id:`) or `failed` (adding `Fail_reason:`); poll() reads both, and the replies in
`incoming`. Before writing, every folder a file passes through is searched for its name, so
a message whose first attempt ended in doubt is never handed over twice.

Options: SPOOL (default /var/spool/sms) or OUTGOING, CHECKED, SENT, FAILED, INCOMING one by one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from ecabinet.notify.gateways.base import (
    DeliveryReport,
    GatewayConfigError,
    Inbound,
    IncomingSms,
    OutboundSms,
    Outcome,
    ReportState,
    SendResult,
    option,
    public_options,
)

FOLDERS = ("outgoing", "checked", "sent", "failed")  # the order a file moves through them
NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class SmstoolsGateway:
    name = "smstools"
    deduplicates = True  # a file already handed over is found by its name, not written again
    can_receive = True
    polls = True  # reports and replies are read from its folders, not called back

    def __init__(self, options: Mapping[str, Any]) -> None:
        spool = Path(str(option(options, "spool", "/var/spool/sms")))
        self.dirs = {
            name: Path(str(option(options, name, spool / name))) for name in (*FOLDERS, "incoming")
        }
        for name in ("outgoing", "sent", "failed"):
            if not self.dirs[name].is_dir():
                raise GatewayConfigError(
                    f"ECABINET_SMS_OPTIONS__{name.upper()}={str(self.dirs[name])!r}: no such "
                    "folder (is smstools installed and its spool set up?)"
                )
        # Beside outgoing, so the rename is atomic; smstools never looks here.
        self.staging = self.dirs["outgoing"].parent / ".ecabinet-staging"
        self.options = dict(options)
        self._read: set[str] = set()

    def send(self, message: OutboundSms) -> SendResult:
        if not NAME.match(message.client_id):
            return SendResult(Outcome.REJECTED, detail="Mã tin không hợp lệ cho smstools.")
        for folder in FOLDERS:  # in the order files move, so a moving file is not missed
            if (self.dirs[folder] / message.client_id).exists():
                return SendResult(Outcome.ACCEPTED, provider_id=message.client_id, code=folder)
        head = f"To: {message.to.lstrip('+')}\n"
        try:
            text = message.text.encode("iso-8859-15") if message.encoding == "gsm7" else None
        except UnicodeEncodeError:
            text = None
        data = (
            (head + "\n").encode("ascii") + text
            if text is not None
            else (head + "Alphabet: UCS2\n\n").encode("ascii") + message.text.encode("utf-16-be")
        )
        try:
            self.staging.mkdir(exist_ok=True)
            partial = self.staging / message.client_id
            with open(partial, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.dirs["outgoing"] / message.client_id)
        except OSError as exc:
            return SendResult(
                Outcome.RETRY, detail=f"Không ghi được vào thư mục smstools ({exc.strerror})."
            )
        return SendResult(Outcome.ACCEPTED, provider_id=message.client_id, code="outgoing")

    def parse_callback(self, query: Mapping[str, str], body: bytes, content_type: str) -> Inbound:
        return Inbound()

    def poll(self) -> Inbound:
        """Sent and failed files not read before, and replies. Nothing is marked read or
        removed here: acknowledge() does it once the relay has committed what they said."""
        reports = []
        for folder, state in (("sent", ReportState.SENT), ("failed", ReportState.FAILED)):
            for path in _files(self.dirs[folder]):
                key = f"{folder}/{path.name}"
                if key in self._read or not NAME.match(path.name):
                    continue
                headers, _ = _parse(path)
                reports.append(
                    DeliveryReport(
                        state,
                        provider_id=path.name,
                        client_id=path.name,
                        detail=headers.get("Fail_reason", ""),
                        ref=key,
                    )
                )
        incoming = []
        for path in _files(self.dirs["incoming"]):
            headers, text = _parse(path)
            incoming.append(
                IncomingSms(
                    sender=headers.get("From", ""),
                    text=text,
                    received_at=_when(headers.get("Received", "")),
                    ref=path.name,
                )
            )
        return Inbound(reports, incoming)

    def acknowledge(self, inbound: Inbound) -> None:
        """After the commit: reports are not read again, replies leave the incoming folder
        (smstools leaves them for whoever reads them)."""
        self._read.update(report.ref for report in inbound.reports if report.ref)
        for reply in inbound.incoming:
            if reply.ref:  # a name this gateway listed in the incoming folder
                (self.dirs["incoming"] / Path(reply.ref).name).unlink(missing_ok=True)

    def describe(self) -> dict[str, str]:
        return public_options({k: str(v) for k, v in self.dirs.items()})


def _files(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            yield path


def _parse(path: Path) -> tuple[dict[str, str], str]:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    alphabet = headers.get("Alphabet", "").upper()
    if alphabet.startswith("UCS"):
        text = body.decode("utf-16-be", errors="replace")
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("iso-8859-15")
    return headers, text.strip()


def _when(value: str) -> datetime | None:
    """The modem's time, which smstools writes in the server's local time."""
    for pattern in ("%y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, pattern).astimezone()
        except ValueError:
            continue
    return None

"""Personal pickup links in SMS, never stored in the clear.

A message that carries a delegate's link keeps LINK_MARK in its stored text. The link's token
is an HMAC of the message's client id under a key derived from the app's secret key (which
the database does not hold): the relay makes it again at sending time, and pickup keeps only
its hash (channel "sms"), so a copied database opens no meeting.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ecabinet.pickup.service import TOKEN_BYTES

LINK_MARK = "⟦liên kết⟧"
SAMPLE_TOKEN = "x" * 22  # as long as a real one: previews count the right segments


def key_from_secret(secret_key: str) -> bytes:
    return hashlib.sha256(b"ecabinet sms links\0" + secret_key.encode()).digest()


def token_for(client_id: str, key: bytes) -> str:
    digest = hmac.new(key, b"sms-link\0" + client_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode().rstrip("=")


def link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/p/{token}"


def fill(body: str, public_url: str, token: str) -> str:
    """The stored text with the personal link put back."""
    return body.replace(LINK_MARK, link(public_url, token))


def shown(body: str) -> str:
    """The stored text as pages show it: the link is the delegate's key, not for staff."""
    return body.replace(LINK_MARK, "[liên kết riêng]")

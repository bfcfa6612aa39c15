"""SMS gateways, chosen by name (ECABINET_SMS_GATEWAY) with options under
ECABINET_SMS_OPTIONS__*. Built in: log (the default), http-json, smstools, esms, speedsms.

A third party adds one without touching this code: a package that declares an entry point in
the group `ecabinet.sms_gateways`, named as the gateway and pointing at a class (or factory)
that takes the options mapping and returns an object with the SmsGateway protocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from ecabinet.notify.gateways.base import GatewayConfigError, SmsGateway
from ecabinet.notify.gateways.esms import EsmsGateway
from ecabinet.notify.gateways.http_json import HttpJsonGateway
from ecabinet.notify.gateways.log import LogGateway
from ecabinet.notify.gateways.smstools import SmstoolsGateway
from ecabinet.notify.gateways.speedsms import SpeedSmsGateway

ENTRY_POINT_GROUP = "ecabinet.sms_gateways"
Factory = Callable[[Mapping[str, Any]], SmsGateway]

BUILT_IN: dict[str, Factory] = {
    "log": LogGateway,
    "http-json": HttpJsonGateway,
    "smstools": SmstoolsGateway,
    "esms": EsmsGateway,
    "speedsms": SpeedSmsGateway,
}


def known() -> dict[str, Factory]:
    """Built-in gateways and those other packages declare (an entry point cannot replace a
    built-in one)."""
    found: dict[str, Factory] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found[point.name] = point.load()
    return {**found, **BUILT_IN}


def make_gateway(name: str, options: Mapping[str, Any]) -> SmsGateway:
    """The configured gateway, its options checked; GatewayConfigError says what is wrong."""
    factories = known()
    factory = factories.get(name)
    if factory is None:
        raise GatewayConfigError(
            f"ECABINET_SMS_GATEWAY={name!r}: unknown; known: {', '.join(sorted(factories))}"
        )
    gateway = factory(options)
    if not isinstance(gateway, SmsGateway):
        raise GatewayConfigError(
            f"ECABINET_SMS_GATEWAY={name!r}: {factory!r} does not give an SmsGateway"
        )
    return gateway


__all__ = ["GatewayConfigError", "SmsGateway", "known", "make_gateway"]

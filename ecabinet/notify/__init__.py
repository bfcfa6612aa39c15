"""SMS notifications: invitations, reminders, change notices and free messages, through a
pluggable gateway (notify.gateways), from a transactional outbox on the spine's durable jobs
(notify.service queues, notify.relay sends)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the package stays importable without Flask (services, CLI, tests)
    from flask import Flask


def init_app(app: Flask) -> None:
    from ecabinet.config import ConfigError
    from ecabinet.notify import api, follow, relay, routes, service
    from ecabinet.notify.gateways import GatewayConfigError, make_gateway

    try:
        gateway = make_gateway(str(app.config["SMS_GATEWAY"]), dict(app.config["SMS_OPTIONS"]))
    except GatewayConfigError as exc:
        raise ConfigError(str(exc)) from None
    timeout = float(getattr(gateway, "timeout", 0) or 0)
    lease = int(app.config["JOB_LEASE_SECONDS"])
    if timeout and min(timeout, 5.0) + timeout >= lease:  # connecting, then reading
        raise ConfigError(
            f"ECABINET_SMS_OPTIONS__TIMEOUT={timeout:g}: a send (connect and read) must end "
            f"inside ECABINET_JOB_LEASE_SECONDS={lease}, or a second run of its job would "
            "find it unfinished; lower the timeout or raise the lease"
        )
    settings = relay.RelaySettings.from_config(app.config)
    sender = relay.Relay(app.extensions["ecabinet.db"], gateway, settings)
    app.extensions["ecabinet.notify"] = sender
    service.NotifySettings.from_config(app.config)  # a bad value stops the start, not a send
    runner = app.extensions["ecabinet.jobs"]
    runner.register(service.SEND_JOB, sender.send_job)
    runner.register(relay.POLL_JOB, sender.poll_job)
    follower = follow.Follower(
        app.extensions["ecabinet.db"], lambda: service.NotifySettings.from_config(app.config)
    )
    runner.register(follow.REMIND_JOB, follower.remind_job)
    runner.register(follow.CHANGE_JOB, follower.change_job)
    bus = app.extensions["ecabinet.events"]
    bus.in_transaction(follow.follow_meetings(follow.FollowSettings.from_config(app.config)))
    bus.on_record(follow.withdraw_when_deleted)
    app.register_blueprint(api.bp)
    app.register_blueprint(routes.bp)

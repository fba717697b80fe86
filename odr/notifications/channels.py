"""Senders by channel: SMTP e-mail, an SMS provider interface, and a registry others extend.

A sender takes one OutboxMessage and either returns a short provider response (stored on
the row) or raises; the dispatcher turns exceptions into retries with backoff. Another
room registers its own channel (e.g. "webhook") with ``register_sender`` in its init_app.
"""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale

from odr.core.time import now
from odr.notifications.mail import attachment_names, build_mail, stable_message_id  # noqa: F401 - re-exported
from odr.notifications.models import OutboxMessage
from odr.notifications.templating import render_html

Sender = Callable[[OutboxMessage], str | None]
SENDERS: dict[str, Sender] = {}


class PermanentFailure(Exception):
    """A send that will never succeed (bad address, no server configured): no retries."""


def register_sender(channel: str, sender: Sender) -> None:
    SENDERS[channel] = sender


# ---------------------------------------------------------------- e-mail

def build_email(msg: OutboxMessage, mail_from: str, locale: str | None = None) -> Message:
    """The e-mail for one outbox row (see ``odr.notifications.mail``); the HTML frame is
    rendered in ``locale`` (default: the recipient's), like the body stored with it."""
    with force_locale(locale or _message_locale(msg)):
        html = render_html(msg.subject or "ODR", msg.body, (msg.extra or {}).get("url"), attachment_names(msg))
    return build_mail(msg, mail_from, html)


def _message_locale(msg: OutboxMessage) -> str:
    """The recipient's language: from the batch's preloaded map when the dispatcher made
    one (one query per batch instead of one per message), else from the database."""
    from odr.accounts.models import User
    from odr.extensions import db

    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")
    if not msg.user_id:
        return default
    batch = SmtpBatch.current()
    if batch is not None and msg.user_id in batch.locales:
        return batch.locales[msg.user_id] or default
    user = db.session.get(User, msg.user_id)
    return (user.locale if user is not None and user.locale else None) or default


class SmtpBatch:
    """One SMTP connection shared by the e-mails of one dispatch batch.

    Connecting, greeting and logging in cost more than sending a short message; a batch
    of reminders over one connection is several times faster (see docs/benchmarks.md,
    "Scheduler"). Outside a batch each e-mail opens and closes its own connection.
    """

    _local = threading.local()

    def __init__(self, locales: dict[int, str | None] | None = None) -> None:
        self.conn: smtplib.SMTP | None = None
        #: user id -> locale of the batch's recipients, loaded by the dispatcher in one query
        self.locales: dict[int, str | None] = locales or {}

    def __enter__(self) -> SmtpBatch:
        SmtpBatch._local.active = self
        return self

    def __exit__(self, *exc: object) -> None:
        SmtpBatch._local.active = None
        self.drop()

    @classmethod
    def current(cls) -> SmtpBatch | None:
        return getattr(cls._local, "active", None)

    def connection(self) -> smtplib.SMTP:
        if self.conn is None:
            self.conn = _connect()
        return self.conn

    def drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
            self.conn = None


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    smtp = smtplib.SMTP(cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 25), timeout=float(cfg.get("SMTP_TIMEOUT", 10)))
    try:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _deliver(smtp: smtplib.SMTP, mail: Message) -> None:
    try:
        refused = smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentFailure(f"recipient refused: {exc.recipients}") from exc
    if refused:
        raise PermanentFailure(f"recipient refused: {refused}")


def send_email(msg: OutboxMessage) -> str:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        raise PermanentFailure("no SMTP server configured (ODR_SMTP_HOST)")
    mail = build_email(msg, cfg.get("MAIL_FROM") or "odr@localhost")
    batch = SmtpBatch.current()
    if batch is None:
        with _connect() as smtp:
            _deliver(smtp, mail)
        return f"250 {mail['Message-ID']}"
    try:
        _deliver(batch.connection(), mail)
    except PermanentFailure:
        batch.drop()  # the server may have left the transaction half-open: start clean
        raise
    except (smtplib.SMTPException, OSError):
        batch.drop()  # a stale connection: this message is retried with backoff, the next reconnects
        raise
    return f"250 {mail['Message-ID']}"


# ---------------------------------------------------------------- SMS

class SmsProvider:
    """An SMS gateway. ``send`` returns the provider's message id or raises."""

    name = "base"

    def send(self, to: str, text: str) -> str:
        raise PermanentFailure("no SMS provider configured")


@dataclass
class RecordedSms:
    to: str
    text: str
    at: Any


class RecordingSmsProvider(SmsProvider):
    """The built-in provider: keeps messages (the outbox page shows them) and sends nothing.

    Useful on a single machine and in tests; a real gateway subclasses SmsProvider and is
    installed with ``set_sms_provider(app, provider)``.
    """

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[RecordedSms] = []
        self._lock = threading.Lock()

    def send(self, to: str, text: str) -> str:
        digits = to.replace("+", "").replace(" ", "").replace("-", "")
        if not digits.isdigit() or not 5 <= len(digits) <= 20:
            raise PermanentFailure(f"not a phone number: {to!r}")
        with self._lock:
            self.sent.append(RecordedSms(to, text, now()))
            return f"recorded-{len(self.sent)}"


def set_sms_provider(app: Flask, provider: SmsProvider) -> None:
    app.extensions["odr_sms_provider"] = provider


def sms_provider() -> SmsProvider:
    return current_app.extensions["odr_sms_provider"]


def send_sms(msg: OutboxMessage) -> str:
    return sms_provider().send(msg.recipient, msg.body)


register_sender("email", send_email)
register_sender("sms", send_sms)

"""One-time signing codes: the second factor of an e-signature "where configured".

``ODR_SIGNING_CODE_CHANNELS`` ("" = off, "email", "sms", "email,sms") turns it on. Then
a signer asks for a code (:func:`issue`), receives six digits by e-mail and/or SMS, and
signs with password *and* code (:func:`check` then :func:`consume`, called by
odr.agreements.signing.sign).

Why it works this way:

* Only an HMAC of the code (keyed with the app's secret, salted per row, bound to the
  signer, the agreement version and its content hash) is stored: six digits are a
  million guesses, so a plain hash in a leaked database would give every code away.
* The code is sent at once through the notifications room's senders
  (odr.notifications.channels), not through the outbox: an outbox row keeps its body,
  and so the code, in clear text until it is pruned; a code that arrives a sweep later
  is also worse than one that fails now and says so.
* A code lives ten minutes, allows five wrong tries, works once, and a new one can be
  asked for once a minute (at most ten an hour): enough for a person, useless for
  guessing or for flooding someone's phone.
* A failed try is committed (with its audit event) before the refusal is raised, since
  the error handlers roll the request's transaction back; a successful one is consumed
  in the signing transaction, so a crash before the signature is stored leaves the code
  usable.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from odr.agreements.models import Agreement, SigningCode
from odr.audit.services import record
from odr.cases.models import Case
from odr.core.errors import BadInput, Conflict, DomainError, RuleBroken
from odr.core.time import ensure_aware, iso, now
from odr.extensions import db

log = logging.getLogger("odr.agreements.codes")

CHANNELS = ("email", "sms")
TTL = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)
MAX_PER_HOUR = 10
_CODE = re.compile(r"\d{6}")


class TooSoon(DomainError):
    """429: another code was sent a moment ago (or too many this hour)."""

    status, code = 429, "rate_limited"


class NotSent(DomainError):
    """503: no channel accepted the message; nothing the signer can fix but retrying later."""

    status, code = 503, "code_not_sent"


@dataclass
class _Message:
    """What the channel senders read from an outbox row, without storing one (see above).
    ``id`` is a string so the e-mail's Message-ID can never equal a real outbox row's."""

    id: str
    key: str
    channel: str
    recipient: str
    subject: str
    body: str
    user_id: int | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Issued:
    """What the signer is told: where the code went (masked) and until when it works."""

    channels: list[str]
    sent_to: list[str]
    expires_at: datetime
    resend_after: datetime

    def as_json(self) -> dict[str, Any]:
        return {"channels": self.channels, "sent_to": self.sent_to,
                "expires_at": iso(self.expires_at), "resend_after": iso(self.resend_after)}


def configured_channels() -> list[str]:
    """The channels named in ``SIGNING_CODE_CHANNELS``, in a fixed order; [] when off."""
    raw = str(current_app.config.get("SIGNING_CODE_CHANNELS") or "")
    named = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = named - set(CHANNELS)
    if unknown:
        log.warning("ignoring unknown ODR_SIGNING_CODE_CHANNELS entries: %s", ", ".join(sorted(unknown)))
    return [c for c in CHANNELS if c in named]


def required() -> bool:
    return bool(configured_channels())


def mask_email(address: str) -> str:
    name, _at, domain = address.partition("@")
    return f"{name[:2]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    digits = number.strip()
    return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 8 else "****"


def _digest(row: SigningCode, code: str) -> str:
    message = f"{row.salt}|{row.agreement_id}|{row.user_id}|{row.content_hash}|{code}".encode()
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), message, hashlib.sha256).hexdigest()


def _latest(agreement: Agreement, actor: Any) -> SigningCode | None:
    return db.session.execute(
        select(SigningCode).where(SigningCode.agreement_id == agreement.id, SigningCode.user_id == actor.id)
        .order_by(SigningCode.id.desc()).limit(1)).scalar_one_or_none()


def _destinations(actor: Any, channels: list[str]) -> list[tuple[str, str]]:
    out = []
    if "email" in channels and (actor.email or "").strip():
        out.append(("email", actor.email.strip()))
    if "sms" in channels and (actor.phone or "").strip():
        out.append(("sms", actor.phone.strip()))
    return out


def _texts(agreement: Agreement, case: Case, actor: Any, code: str) -> tuple[str, str, str]:
    """Subject, e-mail body and SMS text in the signer's language (zh by default)."""
    locale = actor.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")
    minutes = int(TTL.total_seconds() // 60)
    what = {"case": case.number or str(case.id), "version": agreement.version,
            "fingerprint": agreement.content_hash[:12], "code": code, "minutes": minutes}
    with force_locale(locale):
        subject = _("Your code to sign the settlement agreement of case %(case)s", **what)
        body = "\n\n".join([
            _("Your one-time code is %(code)s.", **what),
            _("It signs version %(version)d of the settlement agreement of case %(case)s "
              "(fingerprint %(fingerprint)s…) together with your password. It works once, "
              "for this version only, and expires in %(minutes)d minutes.", **what),
            _("Mediation staff will never ask you for this code. Do not give it to anyone. "
              "If you did not ask for it, ignore this message and tell your mediator."),
        ])
        sms = _("Code %(code)s signs version %(version)d of the settlement agreement of case "
                "%(case)s, valid %(minutes)d min. Staff never ask for this code: do not share it.", **what)
    return subject, body, sms


def _send(row: SigningCode, actor: Any, destinations: list[tuple[str, str]],
          texts: tuple[str, str, str]) -> list[str]:
    """Send through every destination; the channels that accepted it."""
    from odr.notifications.channels import PermanentFailure, send_email, send_sms

    subject, body, sms = texts
    sent = []
    for channel, recipient in destinations:
        msg = _Message(id=f"signing-code-{row.id}-{channel}", key=f"signing-code:{row.id}:{channel}",
                       channel=channel, recipient=recipient, subject=subject,
                       body=body if channel == "email" else sms, user_id=actor.id)
        try:
            (send_email if channel == "email" else send_sms)(msg)  # type: ignore[arg-type]
        except (PermanentFailure, smtplib.SMTPException, OSError) as exc:
            log.warning("signing code %s not sent by %s: %s", row.id, channel, exc)
            continue
        sent.append(channel)
    return sent


def issue(agreement: Agreement, actor: Any) -> Issued:
    """Make a new code for ``actor`` to sign ``agreement`` and send it.

    Refused when codes are off (409 ``codes_not_enabled``), the version is not open for
    signing, the actor has nothing left to sign (409), there is nowhere to send it (422
    ``no_contact``), or a code was sent less than a minute ago (429). Any earlier open
    code of the same signer for this version stops working.
    """
    from odr.agreements.services import DRAFT
    from odr.agreements.signing import _capacities

    channels = configured_channels()
    if not channels:
        raise Conflict(_l("Signing codes are not used on this platform; sign with your password."),
                       code="codes_not_enabled")
    if agreement.status != DRAFT:
        raise Conflict(_l("This version is not open for signing."), code="outdated_version")
    case = db.session.get(Case, agreement.case_id)
    wanted = _capacities(agreement, case, actor)
    if not wanted:
        raise Conflict(_l("You have already signed this version."), code="already_signed")
    parties_done = {s.party_id for s in agreement.signatures if s.role in ("party", "agent")}
    parties_done.update(pid for role, pid in wanted if role != "mediator")
    if all(role == "mediator" for role, _pid in wanted) and any(p.id not in parties_done for p in case.parties):
        raise RuleBroken(_l("The mediator signs after every party has signed."), code="parties_sign_first")
    destinations = _destinations(actor, channels)
    if not destinations:
        raise RuleBroken(_l("We have no e-mail address or mobile number to send you a signing code. "
                            "Add one to your account first."), code="no_contact")
    moment = now()
    latest = _latest(agreement, actor)
    if latest is not None and ensure_aware(latest.created_at) + RESEND_AFTER > moment:
        wait = int((ensure_aware(latest.created_at) + RESEND_AFTER - moment).total_seconds()) + 1
        raise TooSoon(_l("A code was sent a moment ago. Wait %(n)d seconds before asking for another.", n=wait))
    recent = db.session.execute(select(func.count(SigningCode.id)).where(
        SigningCode.user_id == actor.id, SigningCode.created_at > moment - timedelta(hours=1))).scalar_one()
    if recent >= MAX_PER_HOUR:
        raise TooSoon(_l("Too many codes were asked for in the last hour. Try again later."))

    db.session.execute(update(SigningCode).where(
        SigningCode.agreement_id == agreement.id, SigningCode.user_id == actor.id,
        SigningCode.outcome.is_(None)).values(outcome="replaced", closed_at=moment))
    code = f"{secrets.randbelow(10**6):06d}"
    row = SigningCode(agreement_id=agreement.id, user_id=actor.id, content_hash=agreement.content_hash,
                      salt=secrets.token_hex(16), code_hash="", created_at=moment, expires_at=moment + TTL,
                      channels=",".join(c for c, _to in destinations))
    db.session.add(row)
    db.session.flush()
    row.code_hash = _digest(row, code)
    db.session.commit()  # the throttle holds from here, even while the message is on its way

    sent = _send(row, actor, destinations, _texts(agreement, case, actor, code))
    if not sent:
        row.outcome, row.closed_at = "undelivered", now()
        record("agreement.sign_code_failed", agreement, actor=actor,
               after={"version": agreement.version, "reason": "undelivered", "code_id": row.id})
        db.session.commit()
        raise NotSent(_l("The code could not be sent just now. Try again in a minute."))
    row.channels = ",".join(sent)
    record("agreement.sign_code", agreement, actor=actor,
           after={"version": agreement.version, "content_hash": agreement.content_hash, "code_id": row.id,
                  "channels": sent, "expires_at": iso(row.expires_at)})
    db.session.commit()
    shown = [mask_email(to) if c == "email" else mask_phone(to) for c, to in destinations if c in sent]
    return Issued(channels=sent, sent_to=shown, expires_at=row.expires_at, resend_after=moment + RESEND_AFTER)


def _refuse(agreement: Agreement, actor: Any, row: SigningCode | None, reason: str, message: Any,
            field_message: Any | None = None) -> BadInput:
    """Audit a refused code (never the code itself), commit, and build the 400."""
    record("agreement.sign_code_failed", agreement, actor=actor,
           after={"version": agreement.version, "reason": reason, "code_id": row.id if row else None,
                  "attempts": row.attempts if row else None})
    db.session.commit()
    return BadInput(message, code=f"code_{reason}", fields={"code": field_message or message})


def check(agreement: Agreement, actor: Any, code: str | None) -> SigningCode | None:
    """The open code ``code`` matches, or a 400 with a ``code`` field error.

    None when codes are off (the password alone signs). Wrong tries are counted and
    committed here; the fifth locks the code.
    """
    if not required():
        return None
    entered = re.sub(r"\s+", "", code or "")
    if not entered:
        raise BadInput(_l("Enter the one-time code we sent you."), code="code_required",
                       fields={"code": _l("Enter the one-time code we sent you.")})
    if not _CODE.fullmatch(entered):
        raise BadInput(_l("The code has 6 digits."), code="code_malformed",
                       fields={"code": _l("The code has 6 digits.")})
    row = _latest(agreement, actor)
    if row is None or row.content_hash != agreement.content_hash or row.outcome in ("replaced", "undelivered"):
        raise _refuse(agreement, actor, row, "missing", _l("Ask for a signing code first."))
    if row.outcome == "used":
        raise _refuse(agreement, actor, row, "used",
                      _l("This code has already been used. Ask for a new code."))
    if row.outcome == "locked":
        raise _refuse(agreement, actor, row, "locked",
                      _l("Too many wrong codes. Ask for a new code."))
    if row.outcome == "expired" or ensure_aware(row.expires_at) <= now():
        row.outcome, row.closed_at = "expired", row.closed_at or now()
        raise _refuse(agreement, actor, row, "expired", _l("This code has expired. Ask for a new code."))
    if hmac.compare_digest(row.code_hash, _digest(row, entered)):
        return row
    db.session.execute(update(SigningCode).where(SigningCode.id == row.id)
                       .values(attempts=SigningCode.attempts + 1))
    db.session.refresh(row)
    left = MAX_TRIES - row.attempts
    if left <= 0:
        row.outcome, row.closed_at = "locked", now()
        raise _refuse(agreement, actor, row, "wrong",
                      _l("The code is not correct. That was the last try: ask for a new code."))
    raise _refuse(agreement, actor, row, "wrong",
                  _l("The code is not correct. %(n)d tries left.", n=left))


def consume(row: SigningCode) -> None:
    """Spend the code inside the signing transaction; a code raced by a second request is refused."""
    done = db.session.execute(update(SigningCode).where(SigningCode.id == row.id, SigningCode.outcome.is_(None))
                              .values(outcome="used", closed_at=now()))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise BadInput(_l("This code has already been used. Ask for a new code."), code="code_used",
                       fields={"code": _l("This code has already been used. Ask for a new code.")})

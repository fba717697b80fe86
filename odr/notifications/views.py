"""Inbox, the delivery-link landing and the admins' outbox page (thin: parse, call, render)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.forms import EmptyForm
from odr.extensions import db
from odr.notifications import services
from odr.notifications.channels import sms_provider
from odr.notifications.dispatch import retry_message
from odr.notifications.models import Notification, OutboxMessage

bp = Blueprint("notifications", __name__)

PER_PAGE = 30


def _page_no() -> int:
    try:
        return max(1, min(int(request.args.get("page", 1)), 100000))
    except ValueError:
        return 1


def _safe_link(link: str | None) -> str:
    if link and link.startswith("/") and not link.startswith("//"):
        return link
    return url_for("notifications.inbox")


@bp.get("/inbox")
def inbox() -> Any:
    policy.authorize("notifications.view")
    page_no = _page_no()
    unread_only = request.args.get("unread") == "1"
    rows = db.session.execute(services.inbox_query(current_user, unread_only)
                              .limit(PER_PAGE + 1).offset((page_no - 1) * PER_PAGE)).scalars().all()
    return render_template("notifications/inbox.html", items=rows[:PER_PAGE], page=page_no,
                           has_more=len(rows) > PER_PAGE, unread_only=unread_only, form=EmptyForm())


@bp.post("/inbox/<int:notification_id>/open")
def open_notification(notification_id: int) -> Any:
    policy.authorize("notifications.view")
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    services.mark_read(row)
    return redirect(_safe_link(row.link))


@bp.post("/inbox/read-all")
def read_all() -> Any:
    policy.authorize("notifications.view")
    if EmptyForm().validate_on_submit():
        count = services.mark_all_read(current_user)
        flash(_("%(n)d notices marked as read.", n=count), "info")
    return redirect(url_for("notifications.inbox"))


@bp.get("/d/<token>")
def delivery_link(token: str) -> Any:
    """The link in a served e-mail or SMS: record that it was opened, then go on."""
    policy.public()
    row = services.open_delivery(token[:64])
    if row is None:
        abort(404)
    link = None
    if row.outbox_id:
        msg = db.session.get(OutboxMessage, row.outbox_id)
        link = (msg.extra or {}).get("link") if msg else None
    return redirect(_safe_link(link or f"/cases/{row.case_id}"))


@bp.get("/admin/outbox")
def outbox() -> Any:
    policy.authorize("outbox.view")
    page_no = _page_no()
    status = request.args.get("status") or None
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in ("pending", "sent", "failed", "missed", "cancelled"):
        q = q.where(OutboxMessage.status == status)
    rows = db.session.execute(q.limit(PER_PAGE + 1).offset((page_no - 1) * PER_PAGE)).scalars().all()
    return render_template("notifications/outbox.html", items=rows[:PER_PAGE], page=page_no,
                           has_more=len(rows) > PER_PAGE, status=status, form=EmptyForm(),
                           sms_provider=sms_provider().name)


@bp.post("/admin/outbox/<int:message_id>/retry")
def retry(message_id: int) -> Any:
    msg = policy.get_or_404(OutboxMessage, message_id, "outbox.view")
    if EmptyForm().validate_on_submit() and msg.status in ("failed", "missed"):
        retry_message(msg, current_user._get_current_object())
        flash(_("The message will be sent again."), "info")
    return redirect(url_for("notifications.outbox"))

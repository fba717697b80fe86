"""Notifications room (see DESIGN.md, Rooms): inbox, outbox channels, delivery records.

Other rooms call ``odr.notifications.services.notify`` / ``notify_case_parties``; the
scheduler calls ``odr.notifications.dispatch.dispatch_due``. This room never calls back.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.core.signals import case_status_changed
    from odr.notifications import channels, models  # noqa: F401
    from odr.notifications.receivers import on_case_status_changed

    app.config.setdefault("OUTBOX_MAX_ATTEMPTS", 6)
    app.config.setdefault("SMTP_TIMEOUT", 10)
    if "odr_sms_provider" not in app.extensions:
        channels.set_sms_provider(app, channels.RecordingSmsProvider())
    case_status_changed.connect(on_case_status_changed, weak=False)

    @app.context_processor
    def _unread() -> dict[str, Any]:
        from flask_login import current_user

        from odr.notifications.services import unread_count

        try:
            if current_user.is_authenticated:
                return {"unread_count": unread_count(current_user)}
        except Exception:  # noqa: BLE001 - a header badge must never break a page (e.g. error pages after a DB failure)
            return {}
        return {}

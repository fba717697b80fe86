"""Message texts from templates/email/: one plain-text body per kind, one HTML layout.

Bodies are rendered when a notice is stored (in the recipient's language, see callers'
``force_locale``), because an outbox row is sent later, outside any request; the same
text goes to the inbox, the e-mail and the SMS. The HTML alternative is rendered at send
time from the stored subject, body and link, so every e-mail gets it, whoever enqueued
it, and the outbox rows (and their unique keys) stay exactly as they were.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import get_locale


def render_notice(kind: str, **context: Any) -> str:
    """The plain-text body of a notice of ``kind`` (templates/email/<kind>.txt)."""
    return render_template(f"email/{kind}.txt", **context).strip()


def render_html(subject: str, body: str, link: str | None = None,
                attachments: list[str] | None = None) -> str:
    """The HTML alternative of an e-mail: the body's paragraphs (blank-line separated)
    and the link as a button. Autoescaped: bodies carry user text (reasons, names)."""
    if link and body.rstrip().endswith(link):
        body = body.rstrip()[: -len(link)]
    paragraphs = [p.splitlines() for p in body.strip().split("\n\n") if p.strip()]
    locale = get_locale()
    return render_template("email/_layout.html", subject=subject, paragraphs=paragraphs, link=link,
                           attachments=attachments or [], lang=str(locale or "zh").replace("_", "-"))

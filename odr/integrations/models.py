"""Integration accounts (another system's named access) and their webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import User
from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db


class Integration(TimestampMixin, db.Model):
    """A court's case system, a hotline, a county centre: acts through its own service
    account (``user``) with named, scoped tokens (accounts.ApiToken kind "integration")."""

    __tablename__ = "integration"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True, nullable=False)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("court.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Webhook(TimestampMixin, db.Model):
    """A URL that receives signed case events for the integration's cases."""

    __tablename__ = "integration_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integration.id"), index=True, nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    secret: Mapped[str] = mapped_column(String(100), nullable=False)
    events: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    integration: Mapped[Integration] = relationship()

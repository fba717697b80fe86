"""Users, their role, and bearer tokens for the API."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db

if TYPE_CHECKING:
    from odr.organizations.models import Court, Organization


class Role:
    """The fixed roles (DESIGN.md "Who uses it")."""

    PARTY = "party"
    MEDIATOR = "mediator"
    ORG_ADMIN = "org_admin"
    JUDGE = "judge"
    CLERK = "clerk"
    ADMIN = "admin"
    ALL = (PARTY, MEDIATOR, ORG_ADMIN, JUDGE, CLERK, ADMIN)
    STAFF = (MEDIATOR, ORG_ADMIN, JUDGE, CLERK)
    COURT = (JUDGE, CLERK)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default=Role.PARTY)
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("court.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    identity_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    court: Mapped[Court | None] = relationship(foreign_keys=[court_id])

    __table_args__ = (Index("ix_user_role_org", "role", "organization_id"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def roles(self) -> list[str]:
        return [self.role]

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"


class ApiToken(TimestampMixin, db.Model):
    """A bearer token, stored only as its SHA-256.

    ``kind`` is "login" for tokens from POST /api/v1/auth/token and "integration" for
    named tokens an admin issues to another system, which carry scopes.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="login")
    name: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("court.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

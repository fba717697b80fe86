"""Gap-free numbering (case numbers, agreement numbers, ruling numbers).

A counter row per (scope, year) is locked with SELECT … FOR UPDATE (PostgreSQL) inside
the caller's transaction, so two concurrent submissions get consecutive numbers and a
rolled-back transaction gives its number back. SQLite serializes writers itself.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from odr.extensions import db


class NumberSequence(db.Model):
    __tablename__ = "number_sequence"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


def next_value(scope: str, year: int) -> int:
    """Return the next number of ``scope`` in ``year``; the row stays locked until commit."""
    for _attempt in range(3):
        row = db.session.execute(
            select(NumberSequence)
            .where(NumberSequence.scope == scope, NumberSequence.year == year)
            .with_for_update()
        ).scalar_one_or_none()
        if row is None:
            try:
                with db.session.begin_nested():
                    row = NumberSequence(scope=scope, year=year, last_value=0)
                    db.session.add(row)
                    db.session.flush()
            except IntegrityError:
                continue  # another transaction created it first; lock theirs
            row = db.session.execute(
                select(NumberSequence)
                .where(NumberSequence.scope == scope, NumberSequence.year == year)
                .with_for_update()
            ).scalar_one()
        row.last_value += 1
        db.session.flush()
        return row.last_value
    raise RuntimeError(f"could not allocate a number for {scope}/{year}")

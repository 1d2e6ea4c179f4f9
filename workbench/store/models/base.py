"""The declarative base and the helpers every model shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..types import JSONDoc, UTCDateTime, utcnow

# Named constraints, so that migrations can address them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONDoc, list[Any]: JSONDoc}

    #: Columns left out of ``to_dict`` (large or internal).
    _private: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The row as plain JSON-ready data, keyed by attribute name."""
        out: dict[str, Any] = {}
        for attr in self.__mapper__.column_attrs:
            if attr.key in self._private:
                continue
            value = getattr(self, attr.key)
            out[attr.key] = value.isoformat() if isinstance(value, datetime) else value
        return out

    def __repr__(self) -> str:
        ident = getattr(self, "slug", None) or getattr(self, "id", None)
        return f"<{type(self).__name__} {ident!r}>"


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""The column type of personal text: sealed with the data key in the store, plain text in
Python (see ``crm_core.privacy.sealing``)."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from tortoise import fields
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet, UpdateQuery

from crm_core.privacy.sealing import keyring

# Set while a model is made in Python (``Customer(name=...)``): its values are already
# Python's, plain text, and only values read from the store are opened. Without it, text
# a customer typed that happens to look sealed ("deadbeef:gA...") was taken for a sealed
# value and could not be kept, or was kept unsealed and could not be read back.
_made_in_python: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "langgan_made_in_python", default=False
)


@dataclass(frozen=True, slots=True)
class Sealed:
    """Text already sealed, written as it is: one reply's words go into the message log
    and the outbox, and are sealed once for both. Only ``seal_once`` makes one, so no
    text from outside can pass for sealed."""

    token: str


def seal_once(text: str) -> Sealed:
    return Sealed(keyring().seal(text))


class SealedText(fields.TextField):
    """Text that the store only ever holds sealed.

    A sealed column cannot be compared in SQL (each sealing is different, even of the
    same text): filtering on it raises, so a look-up that would silently find nothing
    fails in the tests instead. Look-ups go through the row's blind index."""

    skip_to_python_if_native = False

    def to_db_value(self, value: Any, instance: Any) -> str | None:
        if value is None:
            return None
        if isinstance(instance, type):  # a filter: Model.filter(phone=...)
            raise TypeError(
                f"{instance.__name__}.{self.model_field_name} is sealed and cannot be "
                "compared in SQL: look it up through its blind index"
            )
        if isinstance(value, Sealed):
            return value.token
        # Always sealed: Python only ever holds the plain text, whatever it looks like.
        return keyring().seal(str(value))

    def to_python_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if _made_in_python.get():
            return str(value)
        return keyring().open(str(value))


class SealedJSON(SealedText):
    """A JSON document (a chat's state, an audit event's details), sealed whole: what a
    customer typed mid-order or what an agent searched for is personal too."""

    def to_db_value(self, value: Any, instance: Any) -> str | None:
        if value is None:
            return None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return super().to_db_value(text, instance)

    def to_python_value(self, value: Any) -> Any:
        if value is None or isinstance(value, dict | list):
            return value
        text = super().to_python_value(value)
        return json.loads(text) if text else None


class Sealable(Model):
    """A model with sealed columns: a record made in Python keeps the text it is given
    (see ``_made_in_python``); one read from the store has its values opened."""

    class Meta:
        abstract = True

    def __init__(self, **kwargs: Any) -> None:
        made = _made_in_python.set(True)
        try:
            super().__init__(**kwargs)
        finally:
            _made_in_python.reset(made)


class BlindIndexed(Sealable):
    """A model with blind indexes: save() brings them in line with the sealed values
    first (and writes them with any field it writes)."""

    # Each sealed column, and the blind indexes made from it.
    INDEXED_BY: ClassVar[dict[str, tuple[str, ...]]] = {}

    class Meta:
        abstract = True

    def set_indexes(self) -> None:
        raise NotImplementedError

    async def save(
        self,
        using_db: Any = None,
        update_fields: Iterable[str] | None = None,
        force_create: bool = False,
        force_update: bool = False,
    ) -> None:
        if update_fields is None:
            self.set_indexes()
        else:
            # Only the indexes of the columns written: a chat's every message saves its
            # state, and its address's keyed hash need not be made and written again.
            update_fields = set(update_fields)
            touched = {i for f in update_fields for i in self.INDEXED_BY.get(f, ())}
            if touched:
                self.set_indexes()
                update_fields |= touched
        await super().save(using_db, update_fields, force_create, force_update)


class IndexedQuerySet(QuerySet[Any]):
    """``update()`` that keeps a model's blind indexes in step with its sealed columns:
    ``Customer.filter(...).update(phone=x)`` also writes ``phone_index``. A bulk update
    that bypassed the index would leave a customer nobody can find by their number."""

    def update(self, **kwargs: Any) -> UpdateQuery:
        blind = getattr(self.model, "blind_indexes", None)
        if blind is not None:
            kwargs.update(blind(kwargs))
        return super().update(**kwargs)


class IndexedManager(Manager):
    def get_queryset(self) -> QuerySet[Any]:
        return IndexedQuerySet(self._model)

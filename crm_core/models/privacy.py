"""What an erasure leaves behind: one-way fingerprints of the erased person's addresses,
and the store's own key for them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from crm_core.models.sealed import Sealable, SealedText


class ErasedIdentity(Model):
    """A keyed hash of a phone, Telegram id or chat address that belonged to an erased
    customer. Nothing here can be turned back into the number; it only answers "was this
    number erased?", so a campaign or an import never brings the person back."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # phone, telegram, chat
    digest = fields.CharField(max_length=64, unique=True)
    erased_at = fields.DatetimeField()

    class Meta:
        table = "erased_identity"


class StoreSecret(Sealable):
    """Random keys made once per store (the erasure hash key, the blind index key), kept
    sealed with the data key: a copy of the store alone, or of a backup, does not let
    anyone hash a phone list and compare it with what the store holds."""

    name = fields.CharField(max_length=32, primary_key=True)
    value = SealedText()

    class Meta:
        table = "store_secret"

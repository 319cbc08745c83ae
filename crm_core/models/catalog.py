"""What the shop sells."""

from tortoise import fields
from tortoise.models import Model


class Product(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    price = fields.BigIntField()  # whole rupiah
    colours: fields.Field[list[str]] = fields.JSONField(default=list)
    sizes: fields.Field[list[str]] = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "product"

"""What the shop sells."""

from tortoise import fields
from tortoise.models import Model


class Product(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=120, unique=True)
    price = fields.BigIntField()  # whole rupiah
    colours: fields.Field[list[str]] = fields.JSONField(default=list)
    sizes: fields.Field[list[str]] = fields.JSONField(default=list)
    # Other names customers use for it ("jilbab" for a hijab), and their words for its
    # options ({"item": "Hitam"}): added to the lexicon when the catalog loads.
    aliases: fields.Field[list[str] | None] = fields.JSONField(null=True)
    option_aliases: fields.Field[dict[str, str] | None] = fields.JSONField(null=True)
    # How many are left, when the shop counts (None: not counted), and the colours or
    # sizes that are sold out for now.
    stock = fields.IntField(null=True)
    sold_out: fields.Field[list[str] | None] = fields.JSONField(null=True)
    active = fields.BooleanField(default=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "product"

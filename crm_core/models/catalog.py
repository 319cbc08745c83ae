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


class OptionStock(Model):
    """How many are left of one colour or one size of a product, for a shop that counts
    its options (``Hitam=5`` in the catalog sheet). A row per counted option; an option
    with no row is not counted. A row of its own so that taking from it is one
    conditional update, as for the product's own count."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "langgan.Product", related_name="option_stock", on_delete=fields.CASCADE
    )
    option = fields.CharField(max_length=40)  # as the catalog spells it
    stock = fields.IntField()

    class Meta:
        table = "option_stock"
        unique_together = (("product", "option"),)

"""Orders, their items (a snapshot of what was sold, at what price) and status history."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from crm_core.models.catalog import Product
from crm_core.models.customers import Customer
from crm_core.models.sealed import Sealable, SealedText

ORDER_STATUSES = ("baru", "dibayar", "dikirim", "selesai", "batal")


class Order(Sealable):
    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "langgan.Customer", related_name="orders", on_delete=fields.RESTRICT
    )
    status = fields.CharField(max_length=10, default="baru")
    channel = fields.CharField(max_length=16)
    total = fields.BigIntField()  # the goods, in whole rupiah: what reports count
    # Shipping, kept apart from the goods; None while the team has not confirmed it.
    shipping_fee = fields.BigIntField(null=True)
    # Where this order goes, as it was when ordered: a later change of address does not
    # rewrite history.
    ship_name = fields.CharField(max_length=120)
    ship_phone = SealedText(null=True)
    ship_address = SealedText()
    ship_city = fields.CharField(max_length=80)  # one name to count by (crm_core.customers.cities)
    ship_city_typed = fields.CharField(max_length=80, null=True)  # as it was typed
    # For an order loaded from a spreadsheet: the shop's own order number (if the sheet
    # had one) and a key of who ordered and which order, so loading the same sheet
    # again finds the order instead of adding it twice.
    external_ref = fields.CharField(max_length=64, null=True)
    # The shop's invoice number (``INV-2026-0001``): given when the order is placed, from
    # the shop's prefix and a yearly sequence; an imported order keeps the sheet's own.
    number = fields.CharField(max_length=40, null=True, unique=True)
    # Payment: when the customer said they paid (or sent a receipt), and the logged
    # message that was the receipt photo; when they were reminded to pay.
    payment_claimed_at = fields.DatetimeField(null=True)
    payment_proof_id = fields.BigIntField(null=True)  # message.id of the receipt
    payment_reminded_at = fields.DatetimeField(null=True)
    # Shipping out: the courier and its tracking number, as the team typed them.
    courier = fields.CharField(max_length=40, null=True)
    tracking = fields.CharField(max_length=64, null=True)
    import_key = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()

    items: fields.ReverseRelation[OrderItem]

    @property
    def ref(self) -> str:
        """How the order is named to people: its invoice number, the sheet's own number,
        or its id."""
        return self.number or self.external_ref or f"#{self.id}"

    @property
    def grand_total(self) -> int:
        """What the customer pays: the goods and, once known, the shipping."""
        return self.total + (self.shipping_fee or 0)

    class Meta:
        table = "order"
        indexes = (
            ("customer_id", "created_at"),  # a customer's orders, newest first
            # The churn list groups every order by customer, leaving out cancelled ones:
            # with the status in the index SQLite never reads the table (5x faster at
            # 200,000 orders, bench/report.py).
            ("customer_id", "status", "created_at"),
            # The unpaid-order sweep: new orders by when their total was last set.
            ("status", "updated_at"),
        )


class OrderItem(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "langgan.Order", related_name="items", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "langgan.Product", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    product_name = fields.CharField(max_length=120)
    unit_price = fields.BigIntField()
    quantity = fields.IntField()
    colour = fields.CharField(max_length=40, null=True)  # as long as a catalog option
    size = fields.CharField(max_length=40, null=True)

    class Meta:
        table = "order_item"
        indexes = (("order_id",), ("product_id",))


class OrderStatusChange(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "langgan.Order", related_name="status_changes", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=10)
    by = fields.CharField(max_length=80)
    at = fields.DatetimeField()

    class Meta:
        table = "order_status_change"
        indexes = (("order_id",),)


class InvoiceSeries(Model):
    """The last invoice number given in one series (``INV-2026-``). Taking the next is
    one update of this row, which holds it until the order's transaction ends: orders
    placed at the same moment are numbered one after another, never the same."""

    series = fields.CharField(max_length=32, primary_key=True)
    issued = fields.IntField(default=0)  # the last number given

    class Meta:
        table = "invoice_series"

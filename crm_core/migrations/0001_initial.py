import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Customer",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(null=True, max_length=120)),
                ("display_name", fields.CharField(null=True, max_length=120)),
                ("phone", fields.CharField(null=True, unique=True, max_length=20)),
                ("telegram_id", fields.BigIntField(null=True, unique=True)),
                ("email", fields.CharField(null=True, max_length=254)),
                ("address", fields.TextField(null=True, unique=False)),
                ("city", fields.CharField(null=True, db_index=True, max_length=80)),
                ("gender", fields.CharField(null=True, max_length=1)),
                ("age_band", fields.CharField(null=True, max_length=8)),
                ("education", fields.CharField(null=True, max_length=80)),
                ("occupation", fields.CharField(null=True, max_length=80)),
                ("lead_source", fields.CharField(null=True, db_index=True, max_length=40)),
                ("language", fields.CharField(default="id", max_length=2)),
                ("consent_marketing", fields.BooleanField(null=True)),
                ("consent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("consent_text", fields.TextField(null=True, unique=False)),
                ("consent_channel", fields.CharField(null=True, max_length=16)),
                (
                    "opted_out_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("blacklisted", fields.BooleanField(default=False)),
                ("blacklist_reason", fields.TextField(null=True, unique=False)),
                (
                    "blacklisted_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "optional_offered_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "first_order_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_order_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("orders_count", fields.IntField(default=0)),
                ("total_spent", fields.BigIntField(default=0)),
                (
                    "last_inbound_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "last_contacted_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("last_contacted_by", fields.CharField(null=True, max_length=80)),
                (
                    "merged_into",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="merged_into_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "customer", "app": "langgan", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ConsentEvent",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="consent_events",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("kind", fields.CharField(max_length=16)),
                ("given", fields.BooleanField()),
                ("wording", fields.TextField(unique=False)),
                ("channel", fields.CharField(max_length=16)),
                ("recorded_by", fields.CharField(max_length=80)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "consent_event",
                "app": "langgan",
                "pk_attr": "id",
                "table_description": "Append-only: every consent given or withdrawn, with the exact wording shown.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Conversation",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("channel", fields.CharField(max_length=16)),
                ("address", fields.CharField(max_length=64)),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="conversations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("state", fields.CharField(default="new", max_length=32)),
                (
                    "data",
                    fields.JSONField(
                        default=dict,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "updated_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "conversation",
                "app": "langgan",
                "unique_together": (("channel", "address"),),
                "pk_attr": "id",
                "table_description": "One chat: a (channel, address) pair, the customer behind it, and where that chat",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CustomerMerge",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "kept",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="kept_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="merges",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("merged_id", fields.IntField()),
                ("reason", fields.CharField(max_length=200)),
                (
                    "moved",
                    fields.JSONField(
                        encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "customer_merge",
                "app": "langgan",
                "pk_attr": "id",
                "table_description": "The record of two customer rows becoming one, and what moved.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Message",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="customer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("channel", fields.CharField(max_length=16)),
                ("direction", fields.CharField(max_length=3)),
                ("kind", fields.CharField(default="text", max_length=16)),
                ("body", fields.TextField(unique=False)),
                ("external_id", fields.CharField(null=True, max_length=64)),
                ("media_url", fields.TextField(null=True, unique=False)),
                ("media_type", fields.CharField(null=True, max_length=80)),
                ("status", fields.CharField(max_length=16)),
                ("error", fields.TextField(null=True, unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "message",
                "app": "langgan",
                "unique_together": (("channel", "direction", "external_id"),),
                "indexes": [Index(fields=["customer_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "Every message in and out, on every channel.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Note",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("author", fields.CharField(max_length=80)),
                ("body", fields.TextField(unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "note", "app": "langgan", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Order",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "customer",
                    fields.ForeignKeyField(
                        "langgan.Customer",
                        source_field="customer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("status", fields.CharField(default="baru", max_length=10)),
                ("channel", fields.CharField(max_length=16)),
                ("total", fields.BigIntField()),
                ("ship_name", fields.CharField(max_length=120)),
                ("ship_phone", fields.CharField(null=True, max_length=20)),
                ("ship_address", fields.TextField(unique=False)),
                ("ship_city", fields.CharField(max_length=80)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "order", "app": "langgan", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OrderStatusChange",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "order",
                    fields.ForeignKeyField(
                        "langgan.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="status_changes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("status", fields.CharField(max_length=10)),
                ("by", fields.CharField(max_length=80)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "order_status_change", "app": "langgan", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Product",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("name", fields.CharField(unique=True, max_length=120)),
                ("price", fields.BigIntField()),
                (
                    "colours",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                (
                    "sizes",
                    fields.JSONField(
                        default=list,
                        encoder=functools.partial(dumps, separators=(",", ":")),
                        decoder=loads,
                    ),
                ),
                ("active", fields.BooleanField(default=True)),
                ("updated_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "product", "app": "langgan", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OrderItem",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "order",
                    fields.ForeignKeyField(
                        "langgan.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="items",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "product",
                    fields.ForeignKeyField(
                        "langgan.Product",
                        source_field="product_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("product_name", fields.CharField(max_length=120)),
                ("unit_price", fields.BigIntField()),
                ("quantity", fields.IntField()),
                ("colour", fields.CharField(null=True, max_length=40)),
                ("size", fields.CharField(null=True, max_length=20)),
            ],
            options={"table": "order_item", "app": "langgan", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]

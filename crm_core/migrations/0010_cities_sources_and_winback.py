from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from crm_core.customers.cities import normalise_city
from crm_core.customers.lead_sources import normalise_source

# (table, the column reports group by, the column for the words as typed, the normaliser)
TYPED = (
    ("customer", "city", "city_typed", normalise_city),
    ("customer", "lead_source", "lead_source_typed", normalise_source),
    ("order", "ship_city", "ship_city_typed", normalise_city),
)


async def keep_typed_and_normalise(apps, schema_editor):
    """Rows written before this migration hold what people typed ("Bdg", "dr ig kak"):
    that moves to the new column, and the one name to count by takes its place, so
    reports on old data count Bdg with Bandung. One update per distinct value typed,
    not one per row."""
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    new, old = ("$1", "$2") if postgres else ("?", "?")
    for table, column, typed, normalise in TYPED:
        await client.execute_script(
            f'UPDATE "{table}" SET "{typed}" = "{column}" '
            f'WHERE "{column}" IS NOT NULL AND "{column}" <> \'\' AND "{typed}" IS NULL'
        )
        _, rows = await client.execute_query(
            f'SELECT DISTINCT "{column}" AS value FROM "{table}" '
            f'WHERE "{column}" IS NOT NULL AND "{column}" <> \'\''
        )
        for row in rows:
            value = row["value"]
            normalised = normalise(value)
            if normalised and normalised != value:
                await client.execute_query(
                    f'UPDATE "{table}" SET "{column}" = {new} WHERE "{column}" = {old}',
                    [normalised, value],
                )


class Migration(migrations.Migration):
    dependencies = [('langgan', '0009_orders_to_delivery')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Customer',
            name='city_typed',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddField(
            model_name='Customer',
            name='lead_source_typed',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddField(
            model_name='Customer',
            name='winback_days',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['last_order_at', 'id', 'winback_days']),
        ),
        ops.AddField(
            model_name='Order',
            name='ship_city_typed',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.RunPython(keep_typed_and_normalise, ops.RunPython.noop),
    ]

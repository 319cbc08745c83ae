from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('langgan', '0007_catalog_words')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Order',
            name='shipping_fee',
            field=fields.BigIntField(null=True),
        ),
    ]

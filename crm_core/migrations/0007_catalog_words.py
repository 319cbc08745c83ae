from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('langgan', '0006_sealed')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Product',
            name='aliases',
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name='Product',
            name='option_aliases',
            field=fields.JSONField(null=True),
        ),
        ops.AddField(
            model_name='Product',
            name='stock',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Product',
            name='sold_out',
            field=fields.JSONField(null=True),
        ),
    ]

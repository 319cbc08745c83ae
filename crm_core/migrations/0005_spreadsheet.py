from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('langgan', '0004_privacy')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Customer',
            name='email',
            field=fields.CharField(null=True, db_index=True, max_length=254),
        ),
        ops.AddField(
            model_name='Order',
            name='external_ref',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Order',
            name='import_key',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]

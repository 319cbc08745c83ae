from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('langgan', '0004_privacy')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['email']),
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

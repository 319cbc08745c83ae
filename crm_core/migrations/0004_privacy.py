from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('langgan', '0003_analytics')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ErasedIdentity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('digest', fields.CharField(unique=True, max_length=64)),
                ('erased_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'erased_identity', 'app': 'langgan', 'pk_attr': 'id', 'table_description': 'A keyed hash of a phone, Telegram id or chat address that belonged to an erased'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StoreSecret',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('value', fields.CharField(max_length=128)),
            ],
            options={'table': 'store_secret', 'app': 'langgan', 'pk_attr': 'name', 'table_description': 'Random keys made once per store (the erasure hash key): a copied phone list cannot'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Customer',
            name='erased_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]

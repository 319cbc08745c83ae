from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('langgan', '0008_shipping_fee')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Agent',
            name='notify',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='Order',
            name='courier',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Order',
            name='number',
            field=fields.CharField(null=True, unique=True, max_length=40),
        ),
        ops.AddField(
            model_name='Order',
            name='payment_claimed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Order',
            name='payment_proof_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Order',
            name='payment_reminded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Order',
            name='tracking',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Order',
            index=Index(fields=['status', 'updated_at']),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='media_url',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Ticket',
            name='handler',
            field=fields.ForeignKeyField('langgan.Agent', source_field='handler_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Ticket',
            name='last_message_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.CreateModel(
            name='OptionStock',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('langgan.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='option_stock', on_delete=OnDelete.CASCADE)),
                ('option', fields.CharField(max_length=40)),
                ('stock', fields.IntField()),
            ],
            options={'table': 'option_stock', 'app': 'langgan', 'unique_together': (('product', 'option'),), 'pk_attr': 'id', 'table_description': 'How many are left of one colour or one size of a product, for a shop that counts'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceSeries',
            fields=[
                ('series', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('issued', fields.IntField(default=0)),
            ],
            options={'table': 'invoice_series', 'app': 'langgan', 'pk_attr': 'series', 'table_description': 'The last invoice number given in one series (``INV-2026-``). Taking the next is'},
            bases=['Model'],
        ),
    ]

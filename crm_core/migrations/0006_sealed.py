from tortoise import migrations
from tortoise.migrations import operations as ops
from crm_core.models.sealed import SealedText
from tortoise import fields
from tortoise.indexes import Index


class SealColumn(ops.AlterField):
    """A personal column becomes sealed text (``crm_core.sealing``). SQLite keeps any
    text in any column and its table rebuild would drop the table's indexes, so there
    only the recorded schema changes; PostgreSQL's varchar columns become text. The
    values themselves are sealed after migrating, by ``crm_core.sealing_pass``."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [('langgan', '0005_spreadsheet')]

    initial = False

    operations = [
        SealColumn(
            model_name='Agent',
            name='phone',
            field=SealedText(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Agent',
            name='phone_index',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        SealColumn(
            model_name='Conversation',
            name='address',
            field=SealedText(unique=False),
        ),
        ops.AddField(
            model_name='Conversation',
            name='address_index',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.RemoveIndex(
            model_name='Customer',
            name=None,
            fields=['email'],
        ),
        SealColumn(
            model_name='Customer',
            name='address',
            field=SealedText(null=True, unique=False),
        ),
        SealColumn(
            model_name='Customer',
            name='email',
            field=SealedText(null=True, unique=False),
        ),
        SealColumn(
            model_name='Customer',
            name='phone',
            field=SealedText(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Customer',
            name='email_index',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='Customer',
            name='phone_index',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['email_index']),
        ),
        ops.AddField(
            model_name='Customer',
            name='phone_tail_index',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['phone_tail_index']),
        ),
        SealColumn(
            model_name='Message',
            name='body',
            field=SealedText(unique=False),
        ),
        SealColumn(
            model_name='Note',
            name='body',
            field=SealedText(unique=False),
        ),
        SealColumn(
            model_name='Order',
            name='ship_address',
            field=SealedText(unique=False),
        ),
        SealColumn(
            model_name='Order',
            name='ship_phone',
            field=SealedText(null=True, unique=False),
        ),
        SealColumn(
            model_name='OutboxMessage',
            name='address',
            field=SealedText(unique=False),
        ),
        SealColumn(
            model_name='OutboxMessage',
            name='body',
            field=SealedText(unique=False),
        ),
        ops.AlterModelOptions(
            name='StoreSecret',
            options={'table': 'store_secret', 'app': 'langgan', 'pk_attr': 'name', 'table_description': 'Random keys made once per store (the erasure hash key, the blind index key), kept'},
        ),
        SealColumn(
            model_name='StoreSecret',
            name='value',
            field=SealedText(unique=False),
        ),
        ops.AddField(
            model_name='Message',
            name='expired_at',
            field=fields.DatetimeField(null=True),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='expired_at',
            field=fields.DatetimeField(null=True),
        ),
        SealColumn(
            model_name='Ticket',
            name='excerpt',
            field=SealedText(unique=False),
        ),
    ]

from tortoise import migrations
from tortoise.migrations import operations as ops
from crm_core.models.sealed import SealedJSON, SealedText
from tortoise import fields
from tortoise.indexes import Index

class SealColumn(ops.AlterField):
    """A personal column becomes sealed text (``crm_core.privacy.sealing``). SQLite keeps any
    text in any column, and its table rebuild would drop the table's indexes, so there
    only the recorded schema changes. On PostgreSQL the column becomes text (Tortoise
    does not change a column's kind, JSON to text, by itself), and a unique constraint on
    it goes: sealed values never repeat, the blind index is what is unique now. The
    values themselves are sealed after migrating (``crm_core.privacy.sealed_rows``)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        table, column = model._meta.db_table, field.source_field or self.name
        await state_editor.client.execute_script(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE TEXT USING "{column}"::text'
        )
        if field.unique:
            await state_editor.client.execute_script(
                f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{table}_{column}_key"'
            )

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        raise NotImplementedError("sealed columns are not turned back into plain ones")


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
            model_name='AuditEvent',
            name='detail',
            field=SealedJSON(default=dict, unique=False),
        ),
        SealColumn(
            model_name='Contact',
            name='override_reason',
            field=SealedText(null=True, unique=False),
        ),
        SealColumn(
            model_name='Conversation',
            name='address',
            field=SealedText(unique=False),
        ),
        SealColumn(
            model_name='Conversation',
            name='data',
            field=SealedJSON(default=dict, unique=False),
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
        ops.AddField(
            model_name='Customer',
            name='phone_tail_index',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddIndex(
            model_name='Customer',
            index=Index(fields=['email_index']),
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
        ops.AddField(
            model_name='Message',
            name='expired_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
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
        ops.AddField(
            model_name='OutboxMessage',
            name='expired_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        SealColumn(
            model_name='Reminder',
            name='note',
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
        SealColumn(
            model_name='Ticket',
            name='excerpt',
            field=SealedText(unique=False),
        ),
    ]

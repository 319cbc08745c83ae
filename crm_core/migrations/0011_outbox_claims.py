from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('langgan', '0010_cities_sources_and_winback')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxMessage',
            name='keyboard',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='claimed_by',
            field=fields.CharField(null=True, max_length=120),
        ),
    ]

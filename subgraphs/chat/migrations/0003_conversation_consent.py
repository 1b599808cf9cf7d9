from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("chat", "0002_message_search")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Participant",
            name="accepted",
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]

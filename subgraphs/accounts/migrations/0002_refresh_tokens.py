from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="RefreshToken",
            fields=[
                (
                    "id",
                    fields.CharField(
                        primary_key=True, unique=True, db_index=True, max_length=32
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "accounts.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refresh_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("family", fields.CharField(db_index=True, max_length=32)),
                (
                    "expires_at",
                    fields.DatetimeField(auto_now=False, auto_now_add=False),
                ),
                (
                    "used_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "revoked_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_refresh_token",
                "app": "accounts",
                "pk_attr": "id",
                "table_description": "One issued refresh token (its `jti`), in the family of its first login.",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="User",
            name="active",
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from subgraphs.chat.models import AttachmentKind, ComplaintStatus, ConversationKind


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Complaint",
            fields=[
                (
                    "id",
                    fields.UUIDField(
                        primary_key=True, default=uuid4, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.CharField(max_length=64)),
                ("owner_id", fields.CharField(max_length=64)),
                ("subject", fields.CharField(max_length=200)),
                ("category", fields.CharField(max_length=64)),
                (
                    "status",
                    fields.CharEnumField(
                        default=ComplaintStatus.OPEN,
                        description="OPEN: open\nIN_PROGRESS: in_progress\nRESOLVED: resolved\nCLOSED: closed",
                        enum_type=ComplaintStatus,
                        max_length=11,
                    ),
                ),
                ("city_corporation", fields.CharField(default="", max_length=100)),
                ("ward", fields.CharField(default="", max_length=100)),
                ("thana", fields.CharField(default="", max_length=100)),
                ("assigned_agent_id", fields.CharField(null=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "chat_complaint",
                "app": "chat",
                "indexes": [
                    Index(fields=["tenant_id", "status", "created_at"]),
                    Index(fields=["tenant_id", "category"]),
                    Index(fields=["tenant_id", "city_corporation", "ward", "thana"]),
                    Index(fields=["assigned_agent_id", "status"]),
                    Index(fields=["owner_id"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Conversation",
            fields=[
                (
                    "id",
                    fields.UUIDField(
                        primary_key=True, default=uuid4, unique=True, db_index=True
                    ),
                ),
                ("tenant_id", fields.CharField(max_length=64)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="COMPLAINT: complaint\nDIRECT: direct",
                        enum_type=ConversationKind,
                        max_length=9,
                    ),
                ),
                (
                    "complaint",
                    fields.OneToOneField(
                        "chat.Complaint",
                        source_field="complaint_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="conversation",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("last_seq", fields.IntField(default=0)),
                ("last_message_id", fields.UUIDField(null=True)),
                (
                    "last_message_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "chat_conversation",
                "app": "chat",
                "indexes": [Index(fields=["tenant_id", "last_message_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Message",
            fields=[
                (
                    "id",
                    fields.UUIDField(
                        primary_key=True, default=uuid4, unique=True, db_index=True
                    ),
                ),
                (
                    "conversation",
                    fields.ForeignKeyField(
                        "chat.Conversation",
                        source_field="conversation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("seq", fields.IntField()),
                ("sender_id", fields.CharField(max_length=64)),
                ("client_id", fields.CharField(null=True, max_length=64)),
                ("text", fields.TextField(unique=False)),
                (
                    "attachment_kind",
                    fields.CharEnumField(
                        null=True,
                        description="IMAGE: image\nVOICE: voice\nFILE: file",
                        enum_type=AttachmentKind,
                        max_length=5,
                    ),
                ),
                ("attachment_url", fields.CharField(null=True, max_length=2048)),
                ("attachment_size", fields.BigIntField(null=True)),
                (
                    "attachment_content_type",
                    fields.CharField(null=True, max_length=128),
                ),
                ("attachment_duration", fields.FloatField(null=True)),
                ("reply_to_id", fields.UUIDField(null=True)),
                ("edited", fields.BooleanField(default=False)),
                ("deleted", fields.BooleanField(default=False)),
                ("pinned", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "edited_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "chat_message",
                "app": "chat",
                "unique_together": (
                    ("conversation", "seq"),
                    ("sender_id", "client_id"),
                ),
                "indexes": [
                    Index(fields=["conversation_id", "created_at"]),
                    Index(fields=["conversation_id", "pinned"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Participant",
            fields=[
                (
                    "id",
                    fields.IntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "conversation",
                    fields.ForeignKeyField(
                        "chat.Conversation",
                        source_field="conversation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="participants",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("user_id", fields.CharField(max_length=64)),
                ("read_seq", fields.IntField(default=0)),
                ("delivered_seq", fields.IntField(default=0)),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "chat_participant",
                "app": "chat",
                "unique_together": (("conversation", "user_id"),),
                "indexes": [Index(fields=["user_id", "conversation_id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reaction",
            fields=[
                (
                    "id",
                    fields.IntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "message",
                    fields.ForeignKeyField(
                        "chat.Message",
                        source_field="message_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="reactions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("user_id", fields.CharField(max_length=64)),
                ("emoji", fields.CharField(max_length=32)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "chat_reaction",
                "app": "chat",
                "unique_together": (("message", "user_id", "emoji"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]

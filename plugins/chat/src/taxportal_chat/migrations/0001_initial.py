"""Conversations and their messages (taxportal_chat.models)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ChatConversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('portal_id', fields.IntField(unique=True)),
                ('last_message_id', fields.BigIntField(default=0)),
                ('last_posted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_author', fields.CharField(db_default='', max_length=16)),
                ('taxpayer_read_id', fields.BigIntField(default=0)),
                ('staff_read_id', fields.BigIntField(default=0)),
                ('taxpayer_told_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('staff_told_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'chat_conversation', 'app': 'chat', 'pk_attr': 'id', 'table_description': "A portal's conversation with the firm and each side's read position."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ChatMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('portal_id', fields.IntField()),
                ('author', fields.CharField(max_length=16)),
                ('author_id', fields.IntField(null=True)),
                ('author_name', fields.CharField(db_default='', max_length=120)),
                ('body', fields.TextField(unique=False)),
                ('file_id', fields.IntField(null=True)),
                ('file_name', fields.CharField(db_default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'chat_message', 'app': 'chat', 'indexes': [Index(fields=['portal_id', 'id'])], 'pk_attr': 'id', 'table_description': 'Messages of the conversations, oldest id first.'},
            bases=['Model'],
        ),
    ]

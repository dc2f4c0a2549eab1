"""The preparer's side of chat: the inbox's index (conversations newest first) and
a system line's event key, unique, so a portal event heard by every process is written once.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('chat', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ChatConversation',
            index=Index(fields=['last_posted_at', 'id']),
        ),
        ops.AddField(
            model_name='ChatMessage',
            name='event_key',
            field=fields.CharField(null=True, unique=True, max_length=100),
        ),
    ]

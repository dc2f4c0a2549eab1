"""The plugin's own tables: one conversation per portal, its messages, who read how far."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ChatConversation(Model):
    """A portal's conversation with the firm: the newest message and each side's read
    position (unread counts and "seen" come from them). Made with the first message."""

    id = fields.IntField(primary_key=True)
    portal_id = fields.IntField(unique=True)
    last_message_id = fields.BigIntField(default=0)
    last_posted_at = fields.DatetimeField(null=True)
    last_author = fields.CharField(max_length=16, db_default="")
    taxpayer_read_id = fields.BigIntField(default=0)  # read positions only move forward
    staff_read_id = fields.BigIntField(default=0)
    taxpayer_told_at = fields.DatetimeField(null=True)  # the last unread-message notice
    staff_told_at = fields.DatetimeField(null=True)

    class Meta:
        table = "chat_conversation"
        table_description = "A portal's conversation with the firm and each side's read position."
        indexes = (("last_posted_at", "id"),)  # the firm's inbox, newest first


class ChatMessage(Model):
    """One message: ids grow, so "everything after id N" is the catch-up. ``author`` is
    ``taxpayer``, ``staff`` or ``system`` (a portal event's line: ``body`` is its code)."""

    id = fields.BigIntField(primary_key=True)
    portal_id = fields.IntField()
    author = fields.CharField(max_length=16)
    author_id = fields.IntField(null=True)  # the account or staff user; none for system
    author_name = fields.CharField(max_length=120, db_default="")  # as shown then
    body = fields.TextField()
    file_id = fields.IntField(null=True)  # an attachment: the upload in My Files
    file_name = fields.CharField(max_length=255, db_default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # a system line's event ("file_uploaded:12"): every process hears the event, one writes
    event_key = fields.CharField(max_length=100, null=True, unique=True)

    class Meta:
        table = "chat_message"
        table_description = "Messages of the conversations, oldest id first."
        indexes = (("portal_id", "id"),)

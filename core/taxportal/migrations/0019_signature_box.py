"""Where the preparer chose to put a signature (issue 11): an optional box per signature
request (page 0-based, x, y, width, height in PDF points, lower-left origin), all NULL for
the automatic place (the PDF's field, Form 8879's printed line, or a block on the last page).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0018_signing_step")]

    initial = False

    operations = [
        ops.AddField(
            model_name="SignatureRequest",
            name="box_height",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="box_page",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="box_width",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="box_x",
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name="SignatureRequest",
            name="box_y",
            field=fields.FloatField(null=True),
        ),
    ]

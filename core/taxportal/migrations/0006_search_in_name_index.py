from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('taxportal', '0005_documents_both_ways')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='TaxReturn',
            name=None,
            fields=['last_name', 'first_name', 'id'],
        ),
        ops.AddIndex(
            model_name='TaxReturn',
            index=Index(fields=['last_name', 'first_name', 'id', 'search_text']),
        ),
    ]

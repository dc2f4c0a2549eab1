"""A change counter for the returns, kept by triggers, so a client list counts only when needed.

COUNT(*) is the one part of a client-list page that grows with the firm: PostgreSQL reads
all 10,000 returns for it, and a search reads every match. The client list remembers each
filter's count with the value of this counter, and counts again only when the counter has
moved (services/client_list.py). The triggers move it whenever a return is added or
removed, or changes tax year or search text (the only columns the filters read), whoever
writes: the ORM, plain SQL, another process or a database tool.

The counter starts at a random value, so counts remembered for one database are never
taken for another's (tests and firms may switch databases under one process).

PostgreSQL: the row triggers are deferred to the commit, and bump the counter once per
transaction (a 10,000-row import moves it once); taking the counter's row lock only at
commit means two transactions writing returns can never deadlock over it (TRUNCATE's
trigger is a statement trigger, at once). Writers must use READ COMMITTED, PostgreSQL's
default: two REPEATABLE READ writers committing together would fail on the counter's
row. SQLite has one writer at a time: plain row triggers.
"""

import secrets

from tortoise import migrations
from tortoise.migrations import operations as ops

TABLE = "CREATE TABLE change_counter (name VARCHAR(32) NOT NULL PRIMARY KEY, value BIGINT NOT NULL)"
BUMP = "UPDATE change_counter SET value = value + 1 WHERE name = 'tax_return';"
MOVED = (
    "OLD.tax_year IS DISTINCT FROM NEW.tax_year OR OLD.search_text IS DISTINCT FROM NEW.search_text"
)

SQLITE = [
    f"CREATE TRIGGER tax_return_counted_insert AFTER INSERT ON tax_return BEGIN {BUMP} END",
    f"CREATE TRIGGER tax_return_counted_delete AFTER DELETE ON tax_return BEGIN {BUMP} END",
    "CREATE TRIGGER tax_return_counted_update AFTER UPDATE OF tax_year, search_text ON tax_return"
    f" WHEN {MOVED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {BUMP} END",
]
POSTGRES = [
    """
CREATE FUNCTION taxportal_count_changed() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    -- once per transaction: the flag is transaction-local (set_config's third argument)
    IF current_setting('taxportal.counted_' || TG_ARGV[0], true) IS DISTINCT FROM 'yes' THEN
        UPDATE change_counter SET value = value + 1 WHERE name = TG_ARGV[0];
        PERFORM set_config('taxportal.counted_' || TG_ARGV[0], 'yes', true);
    END IF;
    RETURN NULL;
END $$
""",
    "CREATE CONSTRAINT TRIGGER tax_return_counted AFTER INSERT OR DELETE ON tax_return"
    " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    " EXECUTE FUNCTION taxportal_count_changed('tax_return')",
    "CREATE CONSTRAINT TRIGGER tax_return_counted_update"
    " AFTER UPDATE OF tax_year, search_text ON tax_return"
    f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ({MOVED})"
    " EXECUTE FUNCTION taxportal_count_changed('tax_return')",
    "CREATE TRIGGER tax_return_counted_truncate AFTER TRUNCATE ON tax_return"
    " FOR EACH STATEMENT EXECUTE FUNCTION taxportal_count_changed('tax_return')",
]


async def create_counter(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    await client.execute_script(TABLE)
    start = secrets.randbelow(2**48)
    await client.execute_script(f"INSERT INTO change_counter VALUES ('tax_return', {start})")
    for statement in POSTGRES if postgres else SQLITE:
        await client.execute_script(statement)


async def drop_counter(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for name in ("tax_return_counted", "tax_return_counted_update"):
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name} ON tax_return")
        await client.execute_script(
            "DROP TRIGGER IF EXISTS tax_return_counted_truncate ON tax_return;"
            " DROP FUNCTION IF EXISTS taxportal_count_changed()"
        )
    else:
        for name in ("insert", "delete", "update"):
            await client.execute_script(f"DROP TRIGGER IF EXISTS tax_return_counted_{name}")
    await client.execute_script("DROP TABLE IF EXISTS change_counter")


class Migration(migrations.Migration):
    dependencies = [("taxportal", "0007_trigram_search")]

    initial = False

    operations = [
        ops.RunPython(create_counter, drop_counter),
    ]

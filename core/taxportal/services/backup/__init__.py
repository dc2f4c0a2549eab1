"""Backups that restore: a consistent copy of the database, the stored files and (sealed
with the operator's passphrase) the data key; and the restore into an empty place."""

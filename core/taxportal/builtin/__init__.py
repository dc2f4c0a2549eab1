"""Default plugins that ship with the core, registered through the same entry points."""

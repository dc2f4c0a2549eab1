"""Loaded by the schemathesis run (config `hooks`): how to send a generated PDF body."""

import schemathesis

# The documents API takes the raw PDF bytes: send generated binary bodies as they are.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")

"""Signing: the evidence a signature leaves (``records``), and later the flow that writes it."""

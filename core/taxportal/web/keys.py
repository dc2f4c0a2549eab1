"""Typed keys for what the application holds (aiohttp AppKey, no globals)."""

from __future__ import annotations

from aiohttp import web

from taxportal.context import Core

CORE = web.AppKey("core", Core)

"""`taxportal migrate` and the `taxportal staff` commands."""

from __future__ import annotations

import argparse

from taxportal.config import AppConfig, ConfigError
from taxportal.db import apply_migrations
from taxportal.models import StaffUser
from taxportal.runtime import build_core, database_config, started
from taxportal.services.accounts import second_factor
from taxportal.services.accounts import staff as staff_service


async def migrate(args: argparse.Namespace, config: AppConfig) -> int:
    core = build_core(config)
    applied = await apply_migrations(database_config(core))
    print(
        f"Applied {len(applied)} migration(s)"
        + (": " + ", ".join(applied) if applied else "; the database is up to date.")
    )
    return 0


async def add_staff(args: argparse.Namespace, config: AppConfig) -> int:
    from taxportal.cli import read_password

    password = read_password(args)
    async with started(build_core(config)) as core:
        try:
            user = await staff_service.add_staff(core, args.email, password, args.role, args.name)
        except staff_service.StaffError as exc:
            raise ConfigError(str(exc)) from None
    print(f"Added {user.role} {user.email}. Sign in at {config.base_url}/staff/login")
    return 0


async def reset_password(args: argparse.Namespace, config: AppConfig) -> int:
    """For a staff member who lost their password: run on the server."""
    from taxportal.cli import read_password

    password = read_password(args)
    async with started(build_core(config)) as core:
        try:
            user = await staff_service.reset_password(core, args.email, password, actor="cli")
        except staff_service.StaffError as exc:
            raise ConfigError(str(exc)) from None
    print(f"New password set for {user.email}; their sessions are ended.")
    return 0


async def issue_token(args: argparse.Namespace, config: AppConfig) -> int:
    async with started(build_core(config)):
        user = await StaffUser.get_or_none(email=args.email.strip().lower(), is_active=True)
        if user is None:
            raise ConfigError(f"no active staff account {args.email}")
        token = await staff_service.issue_api_token(user, args.label)
    # Printed once, here only: the database keeps a hash.
    print(token)
    return 0


async def reset_second_factor(args: argparse.Namespace, config: AppConfig) -> int:
    """For the admin who lost both their phone and their recovery codes: run on the server."""
    async with started(build_core(config)) as core:
        user = await StaffUser.get_or_none(email=args.email.strip().lower())
        if user is None:
            raise ConfigError(f"no staff account {args.email}")
        await second_factor.reset(core, user, actor="cli")
        await staff_service.unlock(user, actor="cli")
    print(f"{user.email} will set up a new authenticator at the next sign-in.")
    return 0

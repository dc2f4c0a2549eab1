"""The `taxportal` command: serve, migrate, staff, returns, plugins, config, audit, signing.

Commands are named as "module:function" and imported only once one is chosen: `--help`
and a mistyped argument need none of the server (about a second of imports)."""

from __future__ import annotations

import argparse
import getpass
import importlib
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from taxportal import __version__

if TYPE_CHECKING:
    from taxportal.config import AppConfig

Command = Callable[[argparse.Namespace, "AppConfig"], int | Awaitable[int]]


def command_of(name: str) -> Command:
    """The function a "module:function" name stands for (taxportal.commands.*)."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(f"taxportal.commands.{module}"), function)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    import asyncio
    import logging

    from taxportal import log_setup
    from taxportal.config import ConfigError, load_config
    from taxportal.crypto import EncryptionKeyError
    from taxportal.private_files import restrict_umask

    restrict_umask()  # the database, key, outbox and files are the owner's only
    log_setup.configure()
    # Tortoise logs "Tortoise-ORM shutdown" at every close of its connections (several per
    # command): only its warnings and errors are worth a line
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    try:
        config = load_config(args.config, overrides=_overrides(args))
        log_setup.configure(config.core.server.log_format)
        if getattr(args, "demo", False):
            config = _with_demo_firm(args, config)
        result = command_of(args.command)(args, config)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        return int(result)
    except (ConfigError, EncryptionKeyError) as exc:
        print(f"taxportal: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _overrides(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    server = {
        "host": getattr(args, "host", None),
        "port": getattr(args, "port", None),
        "data_dir": getattr(args, "data_dir", None),
    }
    if getattr(args, "demo", False) and server["data_dir"] is None:
        server["data_dir"] = "taxportal-demo-data"
    return {"server": server}


def _with_demo_firm(args: argparse.Namespace, config: AppConfig) -> AppConfig:
    """The demo presents a named sample firm, where the configuration names none."""
    from taxportal.config import load_config
    from taxportal.demo import DEMO_FIRM

    configured = config.raw.get("firm", {})
    firm = {key: value for key, value in DEMO_FIRM.items() if not configured.get(key)}
    if not firm:
        return config
    return load_config(args.config, overrides={**_overrides(args), "firm": firm})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="taxportal", description="Secure client portal for tax firms"
    )
    parser.add_argument("--version", action="version", version=f"taxportal {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML file (default: ./taxportal.toml when present)")
    common.add_argument(
        "--data-dir", dest="data_dir", help="where the database, key and outbox live"
    )
    sub = parser.add_subparsers(title="commands")

    p = sub.add_parser("serve", parents=[common], help="start the web server")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes, dealt connections in turn (default 1)",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        help="seed a sample firm, returns and an admin (mail and texts go to the outbox)",
    )
    p.set_defaults(command="serve:run")

    p = sub.add_parser("migrate", parents=[common], help="apply database migrations")
    p.set_defaults(command="admin:migrate")

    staff = sub.add_parser("staff", help="staff accounts").add_subparsers(title="staff commands")
    p = staff.add_parser("add", parents=[common], help="create a staff account (the first admin)")
    p.add_argument("email")
    p.add_argument("--role", choices=["admin", "preparer"], default="admin")
    p.add_argument("--name", default="")
    p.add_argument("--password-env", help="read the password from this environment variable")
    p.set_defaults(command="admin:add_staff")
    p = staff.add_parser(
        "reset-2fa",
        parents=[common],
        help="forget a staff account's authenticator and unlock it (set up again at sign-in)",
    )
    p.add_argument("email")
    p.set_defaults(command="admin:reset_second_factor")
    p = staff.add_parser(
        "reset-password",
        parents=[common],
        help="set a new password for a staff account and end its sessions",
    )
    p.add_argument("email")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (no prompt)",
    )
    p.set_defaults(command="admin:reset_password", password_env=None)
    p = staff.add_parser("token", parents=[common], help="issue an API token for a staff account")
    p.add_argument("email")
    p.add_argument("--label", default="")
    p.set_defaults(command="admin:issue_token")

    returns = sub.add_parser("returns", help="tax returns").add_subparsers(title="returns commands")
    p = returns.add_parser("import", parents=[common], help="import returns from a CSV file")
    p.add_argument("file", type=Path)
    p.add_argument(
        "--tax-year",
        type=int,
        metavar="YYYY",
        help="the tax year of rows without one (a file without a Year column, or empty cells)",
    )
    p.set_defaults(command="import_returns:run")

    p = sub.add_parser("plugins", parents=[common], help="list installed and enabled plugins")
    p.set_defaults(command="inspect:list_plugins")

    audit = sub.add_parser("audit", help="the signing record").add_subparsers(
        title="audit commands"
    )
    p = audit.add_parser(
        "verify",
        parents=[common],
        help="check every signing chain; name the first broken link of each (exit 1)",
    )
    p.add_argument("--document", type=int, metavar="ID", help="check this document's chain only")
    p.set_defaults(command="audit:verify")

    signing = sub.add_parser("signing", help="the firm's signing certificate").add_subparsers(
        title="signing commands"
    )
    p = signing.add_parser(
        "export-root",
        parents=[common],
        help="write the firm's root certificate (PEM) for PDF readers to trust",
    )
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(command="signing:export_root")

    p = sub.add_parser(
        "backup", parents=[common], help="copy the database, the stored files and the sealed key"
    )
    p.add_argument("dest", help="a new folder for the backup")
    _key_options(p, "seals the data key into the backup")
    p.set_defaults(command="backup:backup")
    p = sub.add_parser(
        "restore", parents=[common], help="restore a backup into an empty data directory"
    )
    p.add_argument("source", help="the backup's folder")
    _key_options(p, "opens the backup's sealed data key")
    p.set_defaults(command="backup:restore")

    config = sub.add_parser("config", help="configuration").add_subparsers(title="config commands")
    p = config.add_parser("check", parents=[common], help="validate the configuration and plugins")
    p.set_defaults(command="inspect:check_config")
    return parser


def _key_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--passphrase-env",
        default="TAXPORTAL_BACKUP_PASSPHRASE",
        metavar="NAME",
        help=f"environment variable whose passphrase {what} (default: %(default)s)",
    )
    p.add_argument(
        "--without-key", action="store_true", help="go on without the data key (see the docs)"
    )


def read_password(args: argparse.Namespace) -> str:
    from taxportal.config import ConfigError

    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    if args.password_env:
        value = os.environ.get(args.password_env)
        if value is None:
            raise ConfigError(f"environment variable {args.password_env} is not set")
        return value
    first = getpass.getpass("Password (12+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise ConfigError("the two passwords differ")
    return first


if __name__ == "__main__":
    sys.exit(main())

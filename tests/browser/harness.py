"""The real server, run the way a firm runs it: the `taxportal` command in its own process.

`PortalServer.start()` migrates a fresh data directory, adds staff accounts with
`taxportal staff add`, seeds returns through the services (seed_returns.py), then runs
`taxportal serve` on a free port of 127.0.0.1 and waits until it answers. Tests add their
own staff the same way (`add_staff`); each sets up its authenticator at its first sign-in.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pyotp

REPO = Path(__file__).resolve().parents[2]
FIRM_NAME = "Evans Tax Service"
LAST_YEAR = dt.date.today().year - 1


@dataclass(eq=False)
class Account:
    """A staff account; after its first sign-in it remembers the authenticator key it set up
    and the last 30-second step it used (the server accepts each step's code once)."""

    email: str
    password: str
    role: str
    totp_secret: str = ""
    last_step: int = 0

    def code_step(self, now: float) -> int | None:
        """The step whose code to type now, or None when the next one is still to come."""
        step = max(int(now) // 30, self.last_step + 1)
        return step if step <= int(now) // 30 + 1 else None  # the server allows one step ahead

    def code(self, step: int) -> str:
        self.last_step = step
        return str(pyotp.TOTP(self.totp_secret).generate_otp(step))


ADMIN = Account("admin@evans-tax.example.com", "admin password for the browser", "admin")
PREPARER = Account("preparer@evans-tax.example.com", "preparer password 12345", "preparer")


@dataclass(frozen=True)
class Client:
    """A return seeded before the server starts; each test works on its own clients."""

    first_name: str
    last_name: str
    ssn: str
    primary_email: str = ""
    mobile_phone: str = ""
    address: str = ""
    city: str = "Evans"
    state: str = "GA"
    zip_code: str = "30809"
    language: str = "en"  # the return's preferred language: en or es

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def fields(self) -> dict[str, Any]:
        return {
            "tax_year": LAST_YEAR,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "ssn": self.ssn,
            "primary_email": self.primary_email,
            "mobile_phone": self.mobile_phone,
            "address": self.address,
            "city": self.city,
            "state": self.state,
            "zip_code": self.zip_code,
            "language": self.language,
        }

    @property
    def e164(self) -> str:
        """The mobile phone as stored and as the SMS outbox addresses it: +1 and ten digits."""
        return "+1" + "".join(c for c in self.mobile_phone if c.isdigit())[-10:]


# Phones are stored in E.164 and shown as (609) 306-2122; emails are stored lower-cased.
CREATE_BY_EMAIL = Client(
    "Angela", "Evans", "400-12-3456", "ANGELA@EMAIL.COM", "6093062122", "11 S Broad St"
)
CANCELLED = Client(
    "Bruno", "Canales", "400-12-3457", "bruno@example.com", "(706) 555-0102", "22200 Columbia Rd"
)
NO_CONTACT = Client("Carla", "Sincontacto", "400-12-3458", address="1714 2nd Ave")
BY_KEYBOARD = Client(
    "Dmitri", "Keys", "400-12-3459", "dmitri@example.com", "(618) 555-0104", "8114 W Main St"
)
LONG_VALUES = Client(
    "Maximiliana-Guadalupe",
    "Montgomery-Villanueva-Worthington",
    "400-12-3460",
    "maximiliana.guadalupe.montgomery-villanueva@a-very-long-domain-name.example.com",
    "(409) 555-0105",
    "2201 East Fourth Street, Apartment 1234, Building Seventeen",
)
# Taxpayers who register and verify (test_taxpayer_journey.py): one each, since codes have a
# resend cooldown and wrong ones lock the account.
TAXPAYER_EN = Client(
    "Sherry", "Núñez", "400-12-3461", "sherry@example.com", "(706) 555-0197", "410 Broad St"
)
TAXPAYER_ES = Client(
    "Lucía",
    "Hernández",
    "400-12-3462",
    "lucia.hernandez@example.com",
    "(912) 555-0162",
    "3 Calle Real",
    language="es",
)
TAXPAYER_KEYS = Client(
    "Kevin", "Tabor", "400-12-3463", "kevin.tabor@example.com", "(478) 555-0163", "9 Pine Ln"
)
# Gets a return PDF through the Signed Document Manager (test_preparer_documents.py).
TAXPAYER_DOCS = Client(
    "Dolores", "Papeles", "400-12-3470", "dolores@example.com", "(706) 555-0170", "5 Elm St"
)
CLIENTS = (
    CREATE_BY_EMAIL,
    CANCELLED,
    NO_CONTACT,
    BY_KEYBOARD,
    LONG_VALUES,
    TAXPAYER_EN,
    TAXPAYER_ES,
    TAXPAYER_KEYS,
    TAXPAYER_DOCS,
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PortalServer:
    data_dir: Path
    work_dir: Path  # the servers' working directory: no stray taxportal.toml gets read
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    return_ids: dict[Client, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)  # settings of this server only
    start_seconds: float = 30.0  # how long `serve` may take to answer

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAXPORTAL_")}
        env.update(
            {
                "TAXPORTAL_SERVER__DATA_DIR": str(self.data_dir),
                "TAXPORTAL_SERVER__BASE_URL": self.base_url,
                "TAXPORTAL_FIRM__NAME": FIRM_NAME,
                # Every test signs in from 127.0.0.1: the per-address limit would add up.
                "TAXPORTAL_THROTTLE__PER_ADDRESS": "1000",
                "PYTHONUNBUFFERED": "1",
                **self.extra_env,
            }
        )
        return env

    def taxportal(
        self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> str:
        """Run one `taxportal` command to completion; its output, or a failure that shows it."""
        return self._run([sys.executable, "-m", "taxportal.cli", *args], env, stdin)

    def _run(self, argv: list[str], env: dict[str, str] | None, stdin: str | None) -> str:
        done = subprocess.run(
            argv,
            cwd=self.work_dir,
            env=env or self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def start(
        self,
        clients: tuple[Client, ...] = CLIENTS,
        accounts: tuple[Account, ...] = (ADMIN, PREPARER),
    ) -> None:
        self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.taxportal("migrate", "--data-dir", str(self.data_dir))
        for account in accounts:
            self.add_staff(account)
        if clients:
            seeded = self._run(
                [sys.executable, str(Path(__file__).with_name("seed_returns.py"))],
                None,
                json.dumps([c.fields() for c in clients]),
            )
            self.return_ids = dict(zip(clients, json.loads(seeded), strict=True))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "taxportal.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                cwd=self.work_dir,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_up(self.start_seconds)

    def add_staff(self, account: Account) -> None:
        """`taxportal staff add`, as an admin with server access does (also while serving)."""
        env = {**self.env(), "BROWSER_TEST_PASSWORD": account.password}
        self.taxportal(
            "staff",
            "add",
            account.email,
            "--role",
            account.role,
            "--password-env",
            "BROWSER_TEST_PASSWORD",
            "--data-dir",
            str(self.data_dir),
            env=env,
        )

    def _wait_until_up(self, timeout: float) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"taxportal serve exited {self.process.returncode}:\n{self.log()}"
                )
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"taxportal serve did not answer within {timeout} s:\n{self.log()}")

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/staff/login")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # aiohttp shuts down cleanly on SIGTERM
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # --- the outbox, as a firm without a mail server reads it ---

    def emails_to(self, address: str) -> list[EmailMessage]:
        folder = self.data_dir / "outbox" / "email"
        found = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if message["To"] == address:
                found.append(message)
        return found

    def texts_to(self, e164: str) -> list[dict[str, Any]]:
        folder = self.data_dir / "outbox" / "sms"
        texts = (
            [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
            if folder.exists()
            else []
        )
        return [t for t in texts if t.get("to") == e164]

    def code_texted_to(self, e164: str) -> str:
        """The security code in the newest text message to this phone."""
        texts = self.texts_to(e164)
        assert texts, f"no text message to {e164} in the outbox"
        return code_in(texts[-1]["text"])

    def code_emailed_to(self, address: str) -> str:
        """The security code in the newest email to this address (its plain-text part)."""
        emails = self.emails_to(address)
        assert emails, f"no email to {address} in the outbox"
        return code_in(emails[-1].get_body(("plain",)).get_content())

    def invitation_link(self, text: str) -> str:
        match = re.search(re.escape(self.base_url) + r"/invite/[A-Za-z0-9_-]+", text)
        assert match, f"no invitation link to {self.base_url} in:\n{text}"
        return match.group(0)


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, f"no 6-digit code in:\n{text}"
    return match.group(1)

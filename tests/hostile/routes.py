"""What the hostile-input test sends: every route of the real app's router, the field and
query names the web code reads, and the hostile values for each place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from taxportal.services.returns.fields import ReturnFields

WEB = Path(__file__).resolve().parents[2] / "core/taxportal/web"
# what the handlers read: form.get("x"), query.get("x"), getall("x"), name="x" in a form
READS = re.compile(r"""(?:\.get|\.getall)\(\s*["']([a-z_]+)["']|\bname="([a-z_]+)\"""")

# ids no row can have: too big for PostgreSQL's integer, for SQLite's, negative, zero,
# not a number, a non-ASCII digit, more digits than int() converts
BAD_IDS = [
    "2147483648",
    "9223372036854775808",
    "0",
    "-1",
    "abc",
    "%D9%A3",
    "1" * 5000,
]
BAD_TEXT_SEGMENTS = ["a%00b", "a%1Bb%7F", "%FF%FE", "x" * 3000, "..%2F..%2Fetc"]
NUL = "a\x00b"
CONTROLS = "a\x01\x1b\x7f\x85b"
LONG = "9" * 5000  # long, and a number with more digits than int() converts
SURROGATE = "a\ud800b"  # goes out as bytes that are not UTF-8
HOSTILE_VALUES = [NUL, CONTROLS, LONG, SURROGATE]
UNUSED_ID = "2000000000"
DEEP_JSON = b"[" * 50_000


@dataclass(frozen=True)
class Route:
    method: str
    formatter: str  # "/staff/returns/{return_id}/edit"
    variables: tuple[str, ...]

    def path(self, **values: str) -> str:
        """The path with ``values`` in its variables, elsewhere an id no row has (a case
        must not revoke the test's own API token) or a word."""
        filled = {
            name: values.get(name, UNUSED_ID if name.endswith("_id") else "abc")
            for name in self.variables
        }
        return self.formatter.format(**filled)

    @property
    def takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    @property
    def api(self) -> bool:
        return self.formatter.startswith("/api/")


def routes_of(app: web.Application) -> list[Route]:
    """Every route of the app's router (core and plugins), static files aside."""
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if "prefix" in info:  # a static folder
            continue
        formatter = info.get("formatter") or info.get("path")
        assert formatter, f"a route of an unknown shape: {route}"
        variables = tuple(re.findall(r"\{(\w+)\}", formatter))
        found.append(Route(route.method, formatter, variables))
    assert len(found) > 50, "the router was not enumerated"
    return found


def read_names() -> list[str]:
    """Every form field and query name the web code and its templates read (and a return's
    fields, which the return form reads by the model's names)."""
    names = set(ReturnFields.model_fields)
    for source in [*WEB.glob("*.py"), *WEB.glob("templates/**/*.html")]:
        for match in READS.finditer(source.read_text()):
            names.add(match.group(1) or match.group(2))
    names.discard("csrf_token")  # sent right (or wrong) on purpose
    return sorted(names)


def bad_path_values(variable: str) -> list[str]:
    return BAD_IDS if variable.endswith("_id") else BAD_TEXT_SEGMENTS


def query_string(names: list[str], value: str) -> str:
    return "&".join(f"{name}={quote(value, safe='', errors='surrogatepass')}" for name in names)


def form_body(names: list[str], value: str, csrf: str) -> bytes:
    """An url-encoded form with every name set to ``value`` (a lone surrogate goes out as
    the bytes it would be in CESU-8: not UTF-8)."""
    pairs = [f"csrf_token={quote(csrf)}"]
    pairs += [f"{name}={quote(value, safe='', errors='surrogatepass')}" for name in names]
    return "&".join(pairs).encode()


def multipart_body(names: list[str], value: str, csrf: str) -> tuple[bytes, str]:
    """A multipart form with every name set to ``value``, and a file part whose name is
    ``value`` too."""
    boundary = "hostileboundary"
    raw = value.encode("utf-8", "surrogatepass")

    def field(name: str) -> bytes:
        return f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()

    parts = [field("csrf_token") + csrf.encode() + b"\r\n"]
    parts += [field(name) + raw + b"\r\n" for name in names]
    for field in ("file", "files"):
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f"filename*=UTF-8''{quote(value, safe='', errors='surrogatepass')}\r\n"
            "Content-Type: application/pdf\r\n\r\n"
        )
        parts.append(head.encode() + b"%PDF-1.7\n%%EOF\n\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"

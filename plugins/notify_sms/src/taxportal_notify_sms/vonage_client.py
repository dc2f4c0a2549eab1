"""Vonage mode: one blocking SDK client, its failures told as DeliveryError reasons."""

from __future__ import annotations

import logging
import re

import requests
import vonage
from vonage_http_client.errors import AuthenticationError, HttpRequestError
from vonage_sms import PartialFailureError, SmsError, SmsMessage

from taxportal.api import DeliveryError
from taxportal_notify_sms.settings import ENV_API_KEY, ENV_API_SECRET, SmsSettings

# GSM 03.38: what fits a plain "text" SMS; anything else needs type "unicode".
_GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = "^{}\\[~]|€\f"
GSM_CHARACTERS = frozenset(_GSM_BASIC + _GSM_EXTENDED)

_SDK_FAILURE = re.compile(r"error code (\d+): (.*)", re.DOTALL)
_HINTS = {
    "1": "; try again in a minute",
    "4": f"; check {ENV_API_KEY} and {ENV_API_SECRET}",
    "9": "; the Vonage account is out of credit",
    "15": "; check [notify_sms] sender",
}


def sms_type(text: str) -> str:
    """'text' when every character is in the GSM alphabet, else 'unicode'."""
    return "text" if all(c in GSM_CHARACTERS for c in text) else "unicode"


class _DropSdkDebug(logging.Filter):
    """The SDK logs each request's fields (the text) and its Authorization header at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def _quiet_sdk_logger() -> None:
    logger = logging.getLogger("vonage")
    if not any(isinstance(f, _DropSdkDebug) for f in logger.filters):
        logger.addFilter(_DropSdkDebug())


class VonageSender:
    """Sends through Vonage's SMS API. ``deliver`` blocks: run it in a thread."""

    def __init__(self, settings: SmsSettings) -> None:
        if settings.api_key is None or settings.api_secret is None:
            raise ValueError("VonageSender needs api_key and api_secret")  # settings check this
        key = settings.api_key.get_secret_value()
        secret = settings.api_secret.get_secret_value()
        self.host = settings.rest_host
        self.sender = settings.sender
        self.timeout = settings.timeout
        self._never_show = (key, secret)
        _quiet_sdk_logger()
        self._client = vonage.Vonage(
            vonage.Auth(api_key=key, api_secret=secret),
            vonage.HttpClientOptions(rest_host=settings.rest_host, timeout=settings.timeout),
        )

    def deliver(self, to: str, text: str) -> str:
        """Send ``text`` to ``to`` (E.164); return Vonage's message id(s)."""
        message = SmsMessage(to=to.lstrip("+"), from_=self.sender, text=text, type=sms_type(text))
        try:
            response = self._client.sms.send(message)
        except PartialFailureError as exc:
            failed = [m for m in _messages(exc.response) if str(m.get("status")) != "0"]
            first = failed[0] if failed else {}
            reason = self._refused(first.get("status", "?"), first.get("error-text", ""), text)
            raise DeliveryError(f"{reason} (only part of the message was sent)") from None
        except SmsError as exc:
            match = _SDK_FAILURE.search(str(exc))
            status, error_text = match.groups() if match else ("?", "")
            raise DeliveryError(self._refused(status, error_text, text)) from None
        except AuthenticationError:
            raise DeliveryError(
                f"Vonage refused the API key and secret (HTTP 401); "
                f"check {ENV_API_KEY} and {ENV_API_SECRET}"
            ) from None
        except HttpRequestError as exc:
            code = exc.response.status_code
            raise DeliveryError(f"Vonage at {self.host} answered HTTP {code}") from None
        except requests.exceptions.SSLError:
            raise DeliveryError(
                f"cannot reach Vonage at {self.host}: its TLS certificate is not trusted"
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise DeliveryError(
                f"cannot reach Vonage at {self.host}: no connection within {self.timeout} s"
            ) from None
        except requests.exceptions.ReadTimeout:
            raise DeliveryError(
                f"Vonage at {self.host} did not answer within {self.timeout} s; "
                "the message may or may not have been sent"
            ) from None
        except requests.exceptions.RequestException:
            raise DeliveryError(f"cannot reach Vonage at {self.host}") from None
        except OSError as exc:  # e.g. REQUESTS_CA_BUNDLE names a file that is not there
            raise DeliveryError(f"cannot reach Vonage at {self.host}: {exc}") from None
        except (KeyError, TypeError, ValueError):  # a reply not shaped like Vonage's
            raise DeliveryError(f"Vonage at {self.host} gave an unexpected answer") from None
        return ",".join(m.message_id for m in response.messages if m.message_id)

    def _refused(self, status: object, error_text: object, text: str) -> str:
        shown = " ".join(str(error_text).split())[:200]
        if any(len(s) >= 4 and s in shown for s in (*self._never_show, text)):
            shown = ""  # an echo of a secret or of the message never reaches the screen
        detail = f"{shown} (status {status})" if shown else f"status {status}"
        return f"Vonage refused the message: {detail}{_HINTS.get(str(status), '')}"


def _messages(response: object) -> list[dict]:
    messages = response.get("messages") if isinstance(response, dict) else None
    return [m for m in messages or [] if isinstance(m, dict)]

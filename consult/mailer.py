"""Where `consult notify`'s messages go: an SMTP server (CONSULT_SMTP_URL), or `.eml` files.

`smtp://user:password@host:587` speaks STARTTLS (required, except to a server on this machine,
where a local relay or a test server may offer none); `smtps://host:465` is TLS from the first
byte. The URL is read from the environment only (never site.yaml: it holds a password) and
never printed whole (`redact`). Standard library only: `smtplib` and `email`.

A refusal is sorted by its SMTP code: 4xx `Temporary` (tried again, with backoff), 5xx
`Permanent` (recorded, never tried again). `Uncertain`: the connection broke while the server
read the message, so it may have it. Server texts are given with every address in them masked.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from consult.errors import ConsultError
from consult.inbox.base import redact

SMTP_ENV = "CONSULT_SMTP_URL"
_ADDRESS = re.compile(r"[^\s<>@,;:\"']+@[^\s<>@,;:\"']+")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def mask(text: str) -> str:
    """`text` (a server's reply) with every e-mail address replaced: it goes to a report and a log."""
    return _ADDRESS.sub("<address>", text)


class Refused(Exception):
    def __init__(self, code: int, text: str):
        super().__init__(f"{code} {mask(text)}")
        self.code = code


class Temporary(Refused):
    pass


class Permanent(Refused):
    pass


class Uncertain(Exception):
    pass


def _refusal(code: int, reply: bytes | str) -> Refused:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return Temporary(code, text) if 400 <= code < 500 else Permanent(code, text)


class SmtpTransport:
    """One connection, reused across messages and opened again when the server drops it."""

    def __init__(self, url: str, timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConsultError(f"{SMTP_ENV} must be smtp://[user:password@]host[:port] (STARTTLS) or "
                               f"smtps://... (TLS), not {redact(url, url)!r}")
        self.url, self.scheme, self.host = url, parts.scheme, parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 587)
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender = (parse_qs(parts.query).get("from") or [""])[0]
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        try:
            if self.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
                elif self.host not in LOCAL_HOSTS:
                    smtp.close()
                    raise ConsultError(f"the SMTP server {self.host}:{self.port} offers no STARTTLS: messages and "
                                       "the password would travel in clear. Use smtps:// or a server that offers it")
            if self.user:
                smtp.login(self.user, self.password)
        except (OSError, smtplib.SMTPException) as exc:
            raise ConsultError(f"cannot reach the SMTP server {self.host}:{self.port} ({mask(redact(str(exc), self.url))}):"
                               " nothing more was sent; what is left stays in the outbox for the next run") from None
        return smtp

    def send(self, message: EmailMessage, before_data: Callable[[], None]) -> None:
        """Send `message`; `before_data` runs once the server accepted sender and recipient, just
        before the message itself is handed over (the only moment a run killed may leave the server
        holding a message it was not told was sent)."""
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            code, reply = smtp.mail(str(message["From"].addresses[0].addr_spec))
            if code != 250:
                smtp.rset()
                raise _refusal(code, reply)
            code, reply = smtp.rcpt(str(message["To"].addresses[0].addr_spec))
            if code not in (250, 251):
                smtp.rset()
                raise _refusal(code, reply)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._smtp = None  # nothing was handed over: the message is still to send
            raise Temporary(421, "the connection was closed before the message was sent")
        try:
            before_data()
        except BaseException:  # not to be sent after all: end the SMTP transaction, keep the connection
            try:
                smtp.rset()
            except (smtplib.SMTPException, OSError):
                self._smtp = None
            raise
        try:
            smtp.data(message.as_bytes(policy=SMTP))
        except smtplib.SMTPDataError as exc:
            raise _refusal(exc.smtp_code, exc.smtp_error) from None
        except (smtplib.SMTPServerDisconnected, OSError, socket.timeout):
            self._smtp = None
            raise Uncertain("the connection broke while the server was reading the message") from None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None


class EmlTransport:
    """`--dry-run DIR`: each message as `DIR/<n>-<message id>.eml`, nothing sent."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.sender = ""
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def send(self, message: EmailMessage, before_data: Callable[[], None]) -> None:
        self.count += 1
        name = re.sub(r"[^A-Za-z0-9_-]", "", str(message["X-Consult-Id"] or ""))
        (self.folder / f"{self.count:06d}-{name}.eml").write_bytes(message.as_bytes(policy=SMTP))

    def close(self) -> None:
        pass

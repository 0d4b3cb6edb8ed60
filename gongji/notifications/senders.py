"""Where notifications go: a log, a webhook, or an e-mail-to-SMS gateway.

A sender takes one :class:`OutgoingMessage` and either hands it on or raises. The worker
(:mod:`gongji.notifications.service`) calls it outside any transaction and may call it again for a
message it sent just before a crash, so every message carries a stable deduplication key
(``gongji-notification-<id>``) for the receiver to show it once: the ``Idempotency-Key`` header of a
webhook, the ``Message-ID`` of an e-mail, the ``dedup_key`` field of a log line.

:func:`sender_from_url` builds a sender from one setting (``--sender`` or ``GONGJI_NOTIFY_SENDER``)::

    log                                         JSON lines on the ``gongji.notifications`` logger
    log:/var/log/gongji/notifications.jsonl     ... and appended to this file
    webhook:https://sms.example.org/gongji      POST JSON; GONGJI_NOTIFY_WEBHOOK_SECRET signs the body
    smtp://user:password@host:587?from=gongji@example.org&to={phone}@sms.example.org&starttls=1
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import smtplib
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("gongji.notifications")

ENV_SENDER = "GONGJI_NOTIFY_SENDER"
ENV_WEBHOOK_SECRET = "GONGJI_NOTIFY_WEBHOOK_SECRET"


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification, in words, on its way to one person."""

    notification_id: int
    person_id: int
    phone: str | None
    language: str
    title: str
    body: str
    kind: str
    created_at: datetime

    @property
    def dedup_key(self) -> str:
        """The same for every attempt at this notification: receivers show a message once per key."""
        return f"gongji-notification-{self.notification_id}"

    def as_dict(self, *, mask_phone: bool = False) -> dict[str, Any]:
        return {
            "dedup_key": self.dedup_key,
            "notification_id": self.notification_id,
            "person_id": self.person_id,
            "phone": masked_phone(self.phone) if mask_phone else self.phone,
            "language": self.language,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "created_at": self.created_at.isoformat(),
        }


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None:
        """Hand the message on; raise if it could not be (the worker tries again later)."""
        ...


def masked_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``: enough to tell numbers apart in a log, not to call one."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


class LogSender:
    """One JSON line per message on the ``gongji.notifications`` logger, and appended to ``path`` if given.

    Phone numbers are masked: a log is read by more people than the person the message is for.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> None:
        line = json.dumps(message.as_dict(mask_phone=True), ensure_ascii=False, sort_keys=True)
        log.info("%s", line)
        if self.path is not None:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
                    file.flush()
                    os.fsync(file.fileno())

    def __repr__(self) -> str:
        return f"LogSender({str(self.path)!r})" if self.path else "LogSender()"


class SendFailed(Exception):
    """A receiver answered, but not with success."""


class WebhookSender:
    """``POST`` each message as JSON to ``url``.

    Headers: ``Idempotency-Key: gongji-notification-<id>``, and with a ``secret``
    ``X-Gongji-Signature: <hex HMAC-SHA256 of the body>``. Any answer but 2xx raises.
    """

    def __init__(self, url: str, secret: str | bytes | None = None, timeout: float = 10.0) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"a webhook URL starts with http:// or https://, not {url!r}")
        self.url = url
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.timeout = timeout

    def body(self, message: OutgoingMessage) -> bytes:
        return json.dumps(message.as_dict(), ensure_ascii=False, sort_keys=True).encode()

    def signature(self, body: bytes) -> str | None:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest() if self.secret else None

    def send(self, message: OutgoingMessage) -> None:
        body = self.body(message)
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.dedup_key}
        if (signature := self.signature(body)) is not None:
            headers["X-Gongji-Signature"] = signature
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as error:
            raise SendFailed(f"webhook answered HTTP {error.code}") from None
        if not 200 <= status < 300:
            raise SendFailed(f"webhook answered HTTP {status}")

    def __repr__(self) -> str:
        parts = urlsplit(self.url)
        return f"WebhookSender({parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}" \
               f"{parts.path}, signed={self.secret is not None})"


class SmtpSender:
    """One e-mail per message through an SMTP server, e.g. an e-mail-to-SMS gateway.

    ``to_template`` makes the recipient from the message (``{phone}@sms.example.org``,
    ``{person_id}@inbox.example.org``). A message for someone without a phone number, when the
    template needs one, is skipped: there is nobody to send it to, and the person still sees it in
    his list of notifications. The ``Message-ID`` is built from the deduplication key.
    """

    def __init__(self, host: str, port: int = 25, *, sender: str, to_template: str, starttls: bool = False,
                 user: str | None = None, password: str | None = None, timeout: float = 10.0) -> None:
        if "@" not in sender:
            raise ValueError(f"the SMTP sender address {sender!r} is not an e-mail address")
        if "{" not in to_template or "@" not in to_template:
            raise ValueError(f"the SMTP recipient template {to_template!r} needs {{phone}} or {{person_id}} and an @")
        self.host, self.port, self.sender, self.to_template = host, port, sender, to_template
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout

    def recipient(self, message: OutgoingMessage) -> str | None:
        if "{phone}" in self.to_template and not message.phone:
            return None
        return self.to_template.format(phone=message.phone or "", person_id=message.person_id)

    def email(self, message: OutgoingMessage, recipient: str) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = recipient
        email["Subject"] = message.title
        email["Message-ID"] = f"<{message.dedup_key}@{self.sender.rsplit('@', 1)[1]}>"
        email["X-Gongji-Dedup-Key"] = message.dedup_key
        email.set_content(message.body)
        return email

    def send(self, message: OutgoingMessage) -> None:
        recipient = self.recipient(message)
        if recipient is None:
            log.info("notification %s: no phone number, nothing sent by SMTP", message.notification_id)
            return
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(self.email(message, recipient))

    def __repr__(self) -> str:
        return f"SmtpSender({self.host}:{self.port}, from={self.sender}, to={self.to_template})"


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes", "on")


def sender_from_url(spec: str | None = None) -> Sender:
    """A sender from one setting; without one, ``GONGJI_NOTIFY_SENDER``, else the log.

    Raises ``ValueError`` naming the forms that work if ``spec`` is none of them.
    """
    spec = (spec if spec is not None else os.environ.get(ENV_SENDER) or "log").strip()
    if spec == "log":
        return LogSender()
    if spec.startswith("log:"):
        return LogSender(spec[len("log:"):] or None)
    if spec.startswith("webhook:"):
        return WebhookSender(spec[len("webhook:"):], secret=os.environ.get(ENV_WEBHOOK_SECRET) or None)
    if spec.startswith("smtp://"):
        parts = urlsplit(spec)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if not parts.hostname or "from" not in query or "to" not in query:
            raise ValueError("an SMTP sender is smtp://[user:password@]host[:port]?from=ADDRESS&to={phone}@GATEWAY")
        return SmtpSender(parts.hostname, parts.port or 25, sender=query["from"], to_template=query["to"],
                          starttls=_truthy(query.get("starttls")), user=unquote(parts.username or "") or None,
                          password=unquote(parts.password or "") or None)
    raise ValueError(f"unknown notification sender {spec!r}: use log, log:/path/file.jsonl, webhook:https://... "
                     "or smtp://host:port?from=...&to={phone}@...")

"""Senders (HZ-4, N-9): each message carries its deduplication key; a log masks phone numbers; a webhook
signs its body and raises on anything but 2xx; SMTP uses the key as Message-ID. No database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
from datetime import UTC, datetime

import pytest

from gongji.notifications import senders
from gongji.notifications.senders import (
    LogSender,
    OutgoingMessage,
    SendFailed,
    SmtpSender,
    WebhookSender,
    masked_phone,
    sender_from_url,
)
from tests.notifications.conftest import Receiver

MESSAGE = OutgoingMessage(notification_id=7, person_id=3, phone="13812345678", language="zh",
                          title="家庭共济支付提醒", body="您的医保个人账户为 李四 支付门诊费用 12.50 元。",
                          kind="mutual_aid.paid", created_at=datetime(2025, 6, 2, 2, tzinfo=UTC))


def test_the_deduplication_key_is_stable_per_notification():
    assert MESSAGE.dedup_key == "gongji-notification-7"
    assert OutgoingMessage(**{**MESSAGE.__dict__, "title": "again"}).dedup_key == MESSAGE.dedup_key


@pytest.mark.parametrize(("phone", "shown"), [("13812345678", "138****5678"), ("+8613812345678", "+86*******5678"),
                                              ("1234567", "*******"), (None, None), ("", "")])
def test_phones_are_masked_in_logs(phone, shown):
    assert masked_phone(phone) == shown


def test_log_sender_writes_one_json_line_with_the_phone_masked(tmp_path, caplog):
    path = tmp_path / "out" / "notifications.jsonl"
    sender = LogSender(path)
    with caplog.at_level(logging.INFO, logger="gongji.notifications"):
        sender.send(MESSAGE)
        sender.send(MESSAGE)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    line = json.loads(lines[0])
    assert line["dedup_key"] == "gongji-notification-7" and line["phone"] == "138****5678"
    assert line["body"] == MESSAGE.body and line["created_at"] == "2025-06-02T02:00:00+00:00"
    assert [r.getMessage() for r in caplog.records] == lines
    assert "13812345678" not in path.read_text(encoding="utf-8") and "13812345678" not in caplog.text


def test_log_sender_raises_when_it_cannot_write(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError):
        LogSender(tmp_path / "a-file" / "notifications.jsonl").send(MESSAGE)


def test_webhook_posts_json_with_the_key_and_a_signature(receiver):
    WebhookSender(receiver.url, secret="s3cret").send(MESSAGE)
    [request] = receiver.requests
    assert request["path"] == "/hooks/gongji"
    assert request["key"] == "gongji-notification-7"
    assert request["headers"]["Content-Type"].startswith("application/json")
    expected = hmac.new(b"s3cret", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Gongji-Signature"] == expected
    body = json.loads(request["body"])
    assert body["phone"] == "13812345678"  # the gateway needs the number
    assert (body["notification_id"], body["person_id"], body["kind"], body["title"]) == (
        7, 3, "mutual_aid.paid", "家庭共济支付提醒")


def test_webhook_without_a_secret_sends_no_signature(receiver):
    WebhookSender(receiver.url).send(MESSAGE)
    assert "X-Gongji-Signature" not in receiver.requests[0]["headers"]


@pytest.mark.parametrize("status", [404, 500, 503])
def test_webhook_raises_on_anything_but_success(status):
    with Receiver(status=status) as failing:
        with pytest.raises(SendFailed, match=str(status)):
            WebhookSender(failing.url).send(MESSAGE)
        assert failing.keys() == ["gongji-notification-7"]


def test_webhook_raises_when_nobody_listens():
    with Receiver() as gone:
        url = gone.url
    with pytest.raises(urllib.error.URLError):
        WebhookSender(url, timeout=2).send(MESSAGE)


def test_webhook_needs_an_http_url():
    with pytest.raises(ValueError):
        WebhookSender("ftp://example.org/x")


class FakeSMTP:
    """Stands in for ``smtplib.SMTP``: records what a session did."""

    sessions: list[FakeSMTP] = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.actions, self.sent = host, port, [], []
        FakeSMTP.sessions.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.actions.append("quit")

    def starttls(self):
        self.actions.append("starttls")

    def login(self, user, password):
        self.actions.append(("login", user, password))

    def send_message(self, message):
        self.sent.append(message)


@pytest.fixture
def fake_smtp(monkeypatch):
    FakeSMTP.sessions = []
    monkeypatch.setattr(senders.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


def test_smtp_sends_one_email_with_the_key_as_message_id(fake_smtp):
    sender = SmtpSender("mail.example.org", 587, sender="gongji@example.org", to_template="{phone}@sms.example.org",
                        starttls=True, user="gongji", password="pw")
    sender.send(MESSAGE)
    [session] = fake_smtp.sessions
    assert (session.host, session.port) == ("mail.example.org", 587)
    assert session.actions == ["starttls", ("login", "gongji", "pw"), "quit"]
    [email] = session.sent
    assert email["Message-ID"] == "<gongji-notification-7@example.org>"
    assert email["To"] == "13812345678@sms.example.org" and email["From"] == "gongji@example.org"
    assert email["Subject"] == MESSAGE.title and email.get_content().strip() == MESSAGE.body


def test_smtp_skips_people_without_a_phone(fake_smtp):
    sender = SmtpSender("mail.example.org", sender="gongji@example.org", to_template="{phone}@sms.example.org")
    sender.send(OutgoingMessage(**{**MESSAGE.__dict__, "phone": None}))
    assert fake_smtp.sessions == []
    by_person = SmtpSender("mail.example.org", sender="gongji@example.org", to_template="p{person_id}@inbox.example")
    by_person.send(OutgoingMessage(**{**MESSAGE.__dict__, "phone": None}))
    assert fake_smtp.sessions[0].sent[0]["To"] == "p3@inbox.example"


def test_sender_from_url_knows_each_form(tmp_path, monkeypatch):
    monkeypatch.delenv(senders.ENV_SENDER, raising=False)
    monkeypatch.setenv(senders.ENV_WEBHOOK_SECRET, "from-env")
    assert isinstance(sender_from_url("log"), LogSender) and sender_from_url("log").path is None
    assert sender_from_url(f"log:{tmp_path}/n.jsonl").path == tmp_path / "n.jsonl"
    webhook = sender_from_url("webhook:https://sms.example.org/gongji?x=1")
    assert (webhook.url, webhook.secret) == ("https://sms.example.org/gongji?x=1", b"from-env")
    smtp = sender_from_url("smtp://u%40x:p%3Aw@mail.example.org:2525?from=gongji@example.org"
                           "&to=%7Bphone%7D@sms.example.org&starttls=1")
    assert (smtp.host, smtp.port, smtp.sender, smtp.to_template, smtp.starttls, smtp.user, smtp.password) == (
        "mail.example.org", 2525, "gongji@example.org", "{phone}@sms.example.org", True, "u@x", "p:w")
    plain = sender_from_url("smtp://mail.example.org?from=a@example.org&to={phone}@gw.example.org")
    assert (plain.port, plain.starttls, plain.user) == (25, False, None)
    assert "p:w" not in repr(smtp)


def test_sender_from_url_defaults_to_the_environment_then_the_log(monkeypatch, tmp_path):
    monkeypatch.setenv(senders.ENV_SENDER, f"log:{tmp_path}/env.jsonl")
    assert sender_from_url().path == tmp_path / "env.jsonl"
    monkeypatch.delenv(senders.ENV_SENDER)
    assert isinstance(sender_from_url(), LogSender) and sender_from_url().path is None


@pytest.mark.parametrize("spec", ["", "sms", "webhook:ftp://x", "smtp://host?to={phone}@gw", "smtp://host?from=a@b",
                                  "smtp://host?from=nobody&to={phone}@gw", "smtp://host?from=a@b&to=fixed@gw"])
def test_sender_from_url_refuses_what_it_does_not_know(spec):
    with pytest.raises(ValueError):
        sender_from_url(spec)

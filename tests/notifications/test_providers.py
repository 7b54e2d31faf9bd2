"""Providers: the HTTP gateway against a fake server on 127.0.0.1, the file, console and e-mail providers."""

from __future__ import annotations

import json
import smtplib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from notifications.models import ErrorKind, Notification
from notifications.providers import OutboundMessage, PermanentSendError, TransientSendError, get_provider
from notifications.providers.console import ConsoleProvider
from notifications.providers.email import EmailProvider
from notifications.providers.file import FileProvider
from notifications.providers.http import HttpProvider
from notifications.services import notification_send
from tests.notifications.factories import OrderFactory

MESSAGE = OutboundMessage(notification_id=42, channel="whatsapp", recipient="+6281234567890", subject="",
                          body="Halo Budi, pesanan WEB-1 sudah kami terima.", language="id")


class FakeGateway:
    """A WhatsApp/SMS gateway on 127.0.0.1 that records requests and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = 200
        self.reply: dict | str = {"messages": [{"id": "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ"}]}
        self.delay = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                gateway.requests.append({
                    "path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(length)),
                })
                if gateway.delay:
                    time.sleep(gateway.delay)
                payload = gateway.reply if isinstance(gateway.reply, str) else json.dumps(gateway.reply)
                data = payload.encode()
                try:
                    self.send_response(gateway.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    with FakeGateway() as fake:
        settings.NOTIFY_WHATSAPP_PROVIDER = "http"
        settings.NOTIFY_WHATSAPP_URL = fake.url
        settings.NOTIFY_WHATSAPP_TOKEN = "wa-token-123"
        settings.NOTIFY_HTTP_TIMEOUT = 1
        yield fake


def test_the_http_provider_posts_json_with_a_bearer_token(gateway):
    result = get_provider("whatsapp").send(MESSAGE)

    assert result.provider_message_id == "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ"
    [request] = gateway.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["Authorization"] == "Bearer wa-token-123"
    assert request["headers"]["Idempotency-Key"] == "oms-notification-42"
    assert request["body"] == {
        "to": "+6281234567890", "channel": "whatsapp", "type": "text", "text": MESSAGE.body, "subject": "",
        "language": "id", "reference": "oms-notification-42",
    }


@pytest.mark.parametrize(
    ("reply", "expected"),
    [({"id": "m-1"}, "m-1"), ({"message_id": 77}, "77"), ({"data": {"id": "d-9"}}, "d-9"), ("not json", "")],
)
def test_the_http_provider_reads_the_message_id_of_common_gateways(gateway, reply, expected):
    gateway.reply = reply

    assert get_provider("whatsapp").send(MESSAGE).provider_message_id == expected


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_4xx_answer_is_a_permanent_error(gateway, status):
    gateway.status, gateway.reply = status, {"error": "invalid recipient"}

    with pytest.raises(PermanentSendError, match=f"HTTP {status}.*invalid recipient"):
        get_provider("whatsapp").send(MESSAGE)


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_a_5xx_or_rate_limit_answer_is_a_transient_error(gateway, status):
    gateway.status = status

    with pytest.raises(TransientSendError, match=f"HTTP {status}"):
        get_provider("whatsapp").send(MESSAGE)


def test_a_timeout_is_a_transient_error(gateway):
    gateway.delay = 1.5

    with pytest.raises(TransientSendError, match="timeout"):
        get_provider("whatsapp").send(MESSAGE)


def test_a_refused_connection_is_a_transient_error(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.NOTIFY_SMS_URL = f"http://127.0.0.1:{port}/sms"

    with pytest.raises(TransientSendError, match="connection failed"):
        HttpProvider(channel="sms").send(MESSAGE)


def test_the_http_provider_needs_a_url(settings):
    settings.NOTIFY_SMS_URL = ""

    with pytest.raises(ImproperlyConfigured, match="NOTIFY_SMS_URL"):
        HttpProvider(channel="sms")


@pytest.mark.django_db
def test_a_notification_is_sent_end_to_end_through_the_gateway(gateway):
    notification = Notification.objects.create(order=OrderFactory(), event="order_paid", channel="whatsapp",
                                               recipient="+6281234567890", body="Pembayaran diterima.")

    sent = notification_send(notification_id=notification.pk)

    assert sent.status == Notification.Status.SENT
    assert sent.provider == "http"
    assert sent.provider_message_id.startswith("wamid.")
    assert gateway.requests[0]["body"]["reference"] == f"oms-notification-{notification.pk}"


@pytest.mark.django_db
def test_a_gateway_rejection_fails_the_notification_permanently(gateway):
    gateway.status, gateway.reply = 400, {"error": {"message": "(#131026) Message undeliverable"}}
    notification = Notification.objects.create(order=OrderFactory(), event="order_paid", channel="whatsapp",
                                               recipient="+6281234567890", body="Pembayaran diterima.")

    failed = notification_send(notification_id=notification.pk)

    assert failed.status == Notification.Status.FAILED
    assert failed.error_kind == ErrorKind.PERMANENT
    assert "Message undeliverable" in failed.error


def test_the_file_provider_appends_one_json_line_per_message(settings):
    provider = FileProvider(channel="whatsapp")

    first = provider.send(MESSAGE)
    provider.send(MESSAGE)

    lines = (settings.NOTIFY_FILE_DIR / "whatsapp.jsonl").read_text().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["id"] == first.provider_message_id
    assert record["to"] == "+6281234567890"
    assert record["body"] == MESSAGE.body
    assert record["reference"] == "oms-notification-42"


def test_the_file_provider_reports_an_unwritable_directory(settings, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings.NOTIFY_FILE_DIR = blocker / "sub"

    with pytest.raises(TransientSendError, match="cannot write"):
        FileProvider(channel="sms").send(MESSAGE)


def test_the_console_provider_prints_the_message(capsys):
    result = ConsoleProvider(channel="sms").send(MESSAGE)

    out = capsys.readouterr().out
    assert "[whatsapp] to +6281234567890" in out
    assert MESSAGE.body in out
    assert result.provider_message_id.startswith("console-")


def test_the_email_provider_sends_through_django_mail(settings):
    settings.DEFAULT_FROM_EMAIL = "Toko Batik Sari <halo@batiksari.id>"
    message = OutboundMessage(notification_id=7, channel="email", recipient="budi@example.id",
                              subject="Pesanan WEB-1", body="Halo Budi", language="id")

    result = EmailProvider(channel="email").send(message)

    [email] = mail.outbox
    assert email.to == ["budi@example.id"]
    assert email.from_email == "Toko Batik Sari <halo@batiksari.id>"
    assert email.subject == "Pesanan WEB-1"
    assert result.provider_message_id == email.extra_headers["Message-ID"]
    assert result.provider_message_id.endswith("@batiksari.id>")


class _FailingBackend:
    error: Exception

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise _FailingBackend.error


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPRecipientsRefused({"x@example.id": (550, b"no such user")}), PermanentSendError),
        (smtplib.SMTPDataError(554, b"rejected as spam"), PermanentSendError),
        (smtplib.SMTPDataError(451, b"try again later"), TransientSendError),
        (smtplib.SMTPServerDisconnected("lost"), TransientSendError),
        (ConnectionRefusedError(111, "refused"), TransientSendError),
    ],
)
def test_smtp_errors_are_classified(settings, error, kind):
    settings.EMAIL_BACKEND = "tests.notifications.test_providers._FailingBackend"
    _FailingBackend.error = error
    message = OutboundMessage(notification_id=7, channel="email", recipient="x@example.id",
                              subject="s", body="b", language="id")

    with pytest.raises(kind):
        EmailProvider(channel="email").send(message)


def test_a_provider_can_be_named_by_dotted_path(settings):
    settings.NOTIFY_SMS_PROVIDER = "notifications.providers.console.ConsoleProvider"

    assert isinstance(get_provider("sms"), ConsoleProvider)


@pytest.mark.parametrize("name", ["nope", "notifications.models.Notification"])
def test_an_unknown_provider_is_a_configuration_error(settings, name):
    settings.NOTIFY_SMS_PROVIDER = name

    with pytest.raises(ImproperlyConfigured, match="NOTIFY_SMS_PROVIDER"):
        get_provider("sms")

"""Appends each message as one JSON line to NOTIFY_FILE_DIR/<channel>.jsonl (the development default).

A developer reads what the customer would have received with `tail -f var/notifications/whatsapp.jsonl`.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from notifications.providers.base import OutboundMessage, PermanentSendError, Provider, SendResult, TransientSendError


class FileProvider(Provider):
    name = "file"

    def send(self, message: OutboundMessage) -> SendResult:
        message_id = f"file-{uuid.uuid4().hex}"
        record = {
            "id": message_id,
            "reference": message.reference,
            "channel": message.channel,
            "to": message.recipient,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
            "written_at": timezone.now().isoformat(),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        directory = Path(settings.NOTIFY_FILE_DIR)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            # One write() on an O_APPEND descriptor: concurrent workers never interleave lines.
            fd = os.open(directory / f"{message.channel}.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except PermissionError as exc:
            raise PermanentSendError(f"cannot write to {directory}: {exc}") from None
        except OSError as exc:
            raise TransientSendError(f"cannot write to {directory}: {exc}") from None
        return SendResult(provider_message_id=message_id)

"""Prints each message to standard output (the worker's log); for development."""

from __future__ import annotations

import sys
import uuid

from notifications.providers.base import OutboundMessage, Provider, SendResult


class ConsoleProvider(Provider):
    name = "console"

    def send(self, message: OutboundMessage) -> SendResult:
        message_id = f"console-{uuid.uuid4().hex}"
        rule = "-" * 72
        subject = f"Subject: {message.subject}\n" if message.subject else ""
        sys.stdout.write(
            f"{rule}\n[{message.channel}] to {message.recipient} ({message.reference}, {message_id})\n"
            f"{subject}\n{message.body}\n{rule}\n"
        )
        sys.stdout.flush()
        return SendResult(provider_message_id=message_id)

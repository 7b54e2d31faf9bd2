"""The small interface every message provider implements, and how its errors are classified."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class OutboundMessage:
    notification_id: int
    channel: str
    recipient: str
    subject: str
    body: str
    language: str

    @property
    def reference(self) -> str:
        """Stable per notification, so a gateway can drop a retried duplicate."""
        return f"oms-notification-{self.notification_id}"


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str = ""


class SendError(Exception):
    """A provider could not deliver the message."""


class PermanentSendError(SendError):
    """Sending again will not help (bad number, rejected request, bad credentials): fail at once."""


class TransientSendError(SendError):
    """Worth another try later (timeout, 5xx, rate limit, connection refused)."""


class Provider(ABC):
    """One way of delivering a message on one channel."""

    name = "provider"

    def __init__(self, *, channel: str) -> None:
        self.channel = channel

    @abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver the message; raise PermanentSendError or TransientSendError when it cannot be."""

"""E-mail through Django's mail framework (EMAIL_BACKEND: console in development, SMTP when configured)."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, get_connection

from notifications.providers.base import OutboundMessage, PermanentSendError, Provider, SendResult, TransientSendError


class EmailProvider(Provider):
    name = "email"

    def send(self, message: OutboundMessage) -> SendResult:
        message_id = make_msgid(idstring=message.reference, domain=_domain())
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"Message-ID": message_id},
            connection=get_connection(fail_silently=False),
        )
        try:
            sent = email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError(f"recipient refused: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentSendError(text) from None
            raise TransientSendError(text) from None
        except (BadHeaderError, ValueError, UnicodeError) as exc:
            raise PermanentSendError(f"invalid message: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, refused connections, timeouts
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from None
        if not sent:
            raise TransientSendError("the mail backend accepted no message")
        return SendResult(provider_message_id=message_id)


def _domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] if "@" in address else "localhost"

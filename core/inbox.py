"""Webhook intake shared by every app that receives provider callbacks (marketplaces, gateways).

An endpoint stays thin::

    @csrf_exempt
    @require_POST
    def shopee(request):
        return inbox.receive(request, provider="shopee", inspect=_inspect_shopee, task=tasks.delivery_process)

`receive` checks the body size, lets `inspect(raw_body, request)` find the account and verify
the signature (it returns `Accepted(...)` or raises `Rejected(status, reason)`), stores the raw
delivery as an InboundDelivery (rejected ones too, with the reason), recognises a delivery seen
before (stored as "duplicate" and not processed), answers at once with an empty body and, after
commit, queues `task.delay(delivery_id)` (or calls `schedule(delivery)`, e.g. a debounced drain).

The processing side claims rows with `delivery_claim` / `delivery_claim_waiting` (conditional
updates, SKIP LOCKED), does the work and ends with `delivery_finish` / `delivery_finish_many`,
or `delivery_release` after a transient error; `delivery_stale_ids` finds rows a crash left
behind so a periodic sweep can queue them again, and `delivery_requeue` is the staff "retry".
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from core import untrusted
from core.models import InboundDelivery

logger = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 256 * 1024
# A rejected delivery that was never verified keeps only this much of its body (enough to see
# what it was): junk from anyone must not fill the database.
UNVERIFIED_BODY_KEEP_BYTES = 4 * 1024
# Headers never stored: session cookies and headers that carry a shared secret as-is.
ALWAYS_REDACTED = frozenset({"cookie", "x-callback-token", "x-api-key"})

Status = InboundDelivery.Status


@dataclass(frozen=True)
class Accepted:
    """What `inspect` learnt from a verified delivery."""

    account_ref: str
    external_id: str = ""  # the provider's event id; "" falls back to the body's sha256
    event_type: str = ""
    channel: Any = None  # channels.Channel when the delivery belongs to one


class Rejected(Exception):
    """`inspect` refuses a delivery: it is stored as rejected and answered with `status`.

    Before the signature is verified the answer is a 4xx (the sender learns nothing else). A
    verified delivery that cannot be used (a field out of range, an unknown shape) is refused with
    `Rejected.verified(...)`: stored whole as rejected once and answered 200, so the provider stops
    retrying something that will never be accepted.
    """

    def __init__(
        self, status: int, reason: str, *, account_ref: str = "", channel=None, event_type: str = "",
        verified: bool = False,
    ) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.account_ref = account_ref
        self.channel = channel
        self.event_type = event_type
        self.verified = verified

    @classmethod
    def verified_push(cls, reason: str, *, account_ref: str = "", channel=None, event_type: str = "") -> Rejected:
        return cls(200, reason, account_ref=account_ref, channel=channel, event_type=event_type, verified=True)


Inspector = Callable[[bytes, HttpRequest], Accepted]


def body_sha256(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


# --- reading untrusted input (core.untrusted does the checking) ---------------------------------
clean_text = untrusted.clean_text
signature_matches = untrusted.signature_matches
epoch_datetime = untrusted.epoch_datetime
clean_ref = untrusted.clean_ref


check_json_strings = untrusted.check_json_strings


def parse_json(body: bytes, *, max_depth: int = untrusted.MAX_JSON_DEPTH, check_strings: bool = True) -> dict:
    """A webhook body as a JSON object, or `Rejected(400)` saying why not (see untrusted.load_json_object).

    An inspector that verifies a signature after reading the body passes `check_strings=False`
    and calls `check_json_strings` once verified, so a signed push with a NUL in a field is
    stored and refused once (200) instead of being retried by the provider.
    """
    try:
        return untrusted.load_json_object(body, max_depth=max_depth, check_strings=check_strings)
    except ValueError as exc:
        raise Rejected(400, str(exc)) from None


def check_fresh(sent_at: datetime | None, *, window: timedelta, now: datetime | None = None,
                future_skew: timedelta = timedelta(hours=1)) -> None:
    """Refuse a verified push sent longer ago than the provider retries (a replay) or from the future.

    Raises `Rejected(400)`; a push without a send time passes (the provider sends none).
    """
    if sent_at is None:
        return
    now = now or timezone.now()
    if sent_at < now - window:
        raise Rejected(400, f"replayed push: sent {sent_at.isoformat()}, older than the {window} retry window")
    if sent_at > now + future_skew:
        raise Rejected(400, f"push sent in the future ({sent_at.isoformat()})")


def request_headers(request: HttpRequest, redact: Iterable[str] = ()) -> dict[str, str]:
    hidden = ALWAYS_REDACTED | {name.lower() for name in redact}
    return {
        clean_text(name): ("[redacted]" if name.lower() in hidden else clean_text(value)[:2000])
        for name, value in request.headers.items()
    }


def _is_backend_error(exc: Exception) -> bool:
    """Redis (cache) unreachable: not the sender's fault either."""
    from core.middleware import UNAVAILABLE

    return isinstance(exc, UNAVAILABLE)


def _remote_addr(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def delivery_reject(
    *,
    provider: str,
    request: HttpRequest,
    reason: str,
    body: bytes = b"",
    account_ref: str = "",
    channel=None,
    event_type: str = "",
    redact: Iterable[str] = (),
    verified: bool = False,
) -> InboundDelivery:
    """Record a delivery that will not be processed, with the reason.

    An unverified one keeps only the start of its body (UNVERIFIED_BODY_KEEP_BYTES); its digest
    is of the whole body.
    """
    return InboundDelivery.objects.create(
        provider=provider,
        channel=channel,
        account_ref=clean_text(account_ref)[:128],
        external_id=body_sha256(body) if body else "",
        event_type=clean_text(event_type)[:64],
        headers=request_headers(request, redact),
        body=body if verified else body[:UNVERIFIED_BODY_KEEP_BYTES],
        remote_addr=_remote_addr(request),
        status=Status.REJECTED,
        error=clean_text(reason)[:2000],
    )


def delivery_store(
    *,
    provider: str,
    request: HttpRequest,
    body: bytes,
    accepted: Accepted,
    redact: Iterable[str] = (),
) -> InboundDelivery:
    """Store a verified delivery as received, or as duplicate when its event id was seen before.

    The partial unique index on (provider, account_ref, external_id) decides, so two copies
    arriving at the same instant still yield one "received" row.
    """
    fields = {
        "provider": provider,
        "channel": accepted.channel,
        "account_ref": clean_text(accepted.account_ref)[:128],
        "external_id": clean_text(accepted.external_id or body_sha256(body))[:255],
        "event_type": clean_text(accepted.event_type)[:64],
        "headers": request_headers(request, redact),
        "body": body,
        "remote_addr": _remote_addr(request),
    }
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint, so a duplicate does not break the outer transaction
                return InboundDelivery.objects.create(status=Status.RECEIVED, **fields)
        # Autocommit: one INSERT, one round trip; a failed INSERT leaves nothing to roll back.
        return InboundDelivery.objects.create(status=Status.RECEIVED, **fields)
    except IntegrityError:
        return InboundDelivery.objects.create(status=Status.DUPLICATE, **fields)


def _enqueue(task, delivery_id: int) -> None:
    # The delivery is stored; if the broker is down the sweep queues it later, so the provider
    # still gets its 2xx.
    try:
        task.delay(delivery_id)
    except Exception:
        logger.exception("could not queue delivery %s; the sweep will pick it up", delivery_id)


def _schedule(schedule, delivery: InboundDelivery) -> None:
    try:
        schedule(delivery)
    except Exception:
        logger.exception("could not schedule delivery %s; the sweep will pick it up", delivery.pk)


def receive(
    request: HttpRequest,
    *,
    provider: str,
    inspect: Inspector,
    task=None,
    schedule: Callable[[InboundDelivery], None] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    redact: Iterable[str] = (),
) -> HttpResponse:
    """The whole intake of one webhook request; see the module docstring.

    After commit a stored delivery is handed to `schedule(delivery)` when given (for example a
    debounced "drain this account" task), else `task.delay(delivery.pk)`.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_body_bytes:
        delivery_reject(
            provider=provider, request=request, redact=redact,
            reason=f"body too large: {declared} bytes (limit {max_body_bytes})",
        )
        return HttpResponse(status=413)
    body = request.body
    if len(body) > max_body_bytes:
        delivery_reject(
            provider=provider, request=request, redact=redact,
            reason=f"body too large: {len(body)} bytes (limit {max_body_bytes})",
        )
        return HttpResponse(status=413)
    try:
        accepted = inspect(body, request)
    except Rejected as exc:
        delivery_reject(
            provider=provider, request=request, body=body, reason=exc.reason, account_ref=exc.account_ref,
            channel=exc.channel, event_type=exc.event_type, redact=redact, verified=exc.verified,
        )
        return HttpResponse(status=exc.status)
    except DatabaseError:
        raise  # the database, not the input: a 503 (core.middleware), so the provider retries
    except Exception as exc:  # input nobody foresaw is a 400, never a 500
        if _is_backend_error(exc):
            raise
        logger.warning("%s webhook: unreadable delivery refused (%s: %s)", provider, type(exc).__name__, exc)
        delivery_reject(
            provider=provider, request=request, body=body, redact=redact,
            reason=f"unreadable delivery: {type(exc).__name__}: {exc}",
        )
        return HttpResponse(status=400)
    delivery = delivery_store(provider=provider, request=request, body=body, accepted=accepted, redact=redact)
    if delivery.status == Status.RECEIVED:
        if schedule is not None:
            transaction.on_commit(lambda: _schedule(schedule, delivery))
        else:
            transaction.on_commit(lambda: _enqueue(task, delivery.pk))
    return HttpResponse(status=200)


# --- processing side ---------------------------------------------------------------------------
def delivery_claim(*, delivery_id: int) -> InboundDelivery | None:
    """Take a delivery for processing; None when it is already done or another worker has it."""
    now = timezone.now()
    claimed = InboundDelivery.objects.filter(
        pk=delivery_id, status__in=[Status.RECEIVED, Status.FAILED]
    ).update(status=Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=now, error="")
    if not claimed:
        return None
    return InboundDelivery.objects.select_related("channel").get(pk=delivery_id)


def delivery_claim_waiting(
    *, provider: str | None = None, channel_id: int, limit: int, fresh_only: bool = True, tried_before=None
) -> list[InboundDelivery]:
    """Claim up to `limit` waiting deliveries of one channel, oldest first (rows other workers hold are skipped).

    `fresh_only` leaves out deliveries already tried once (given back after a transient error):
    those wait for their retry or the sweep instead of being tried again at once. Otherwise
    `tried_before` leaves out those last tried at or after that time (by this retry pass).
    """
    with transaction.atomic():
        qs = InboundDelivery.objects.select_for_update(skip_locked=True).filter(
            channel_id=channel_id, status=Status.RECEIVED
        )
        if provider:
            qs = qs.filter(provider=provider)
        if fresh_only:
            qs = qs.filter(claimed_at__isnull=True)
        elif tried_before is not None:
            qs = qs.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=tried_before))
        ids = list(qs.order_by("pk").values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        InboundDelivery.objects.filter(pk__in=ids).update(
            status=Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=timezone.now(), error=""
        )
    return list(InboundDelivery.objects.select_related("channel").filter(pk__in=ids).order_by("pk"))


def delivery_claim_batch(*, delivery: InboundDelivery, limit: int) -> list[InboundDelivery]:
    """Claim up to `limit` more waiting deliveries of the same provider and channel (oldest first).

    A worker that must call the provider anyway can answer several pushes with one request;
    rows another worker holds are skipped, and the tasks queued for the claimed rows find them
    taken and return.
    """
    if limit <= 0 or delivery.channel_id is None:
        return []
    with transaction.atomic():
        ids = list(
            InboundDelivery.objects.select_for_update(skip_locked=True)
            .filter(provider=delivery.provider, channel_id=delivery.channel_id, status=Status.RECEIVED)
            .exclude(pk=delivery.pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        InboundDelivery.objects.filter(pk__in=ids, status=Status.RECEIVED).update(
            status=Status.PROCESSING, attempts=F("attempts") + 1, claimed_at=timezone.now(), error=""
        )
    return list(InboundDelivery.objects.filter(pk__in=ids, status=Status.PROCESSING).order_by("pk"))


def delivery_finish(*, delivery_id: int, error: str = "") -> None:
    """Mark a claimed delivery processed, or failed with the error (a later retry may claim it)."""
    if error:
        InboundDelivery.objects.filter(pk=delivery_id, status=Status.PROCESSING).update(
            status=Status.FAILED, error=error[:4000]
        )
    else:
        InboundDelivery.objects.filter(pk=delivery_id, status=Status.PROCESSING).update(
            status=Status.PROCESSED, processed_at=timezone.now(), error=""
        )


def delivery_finish_many(*, delivery_ids: Iterable[int]) -> int:
    """Mark claimed deliveries processed in one statement."""
    return InboundDelivery.objects.filter(pk__in=list(delivery_ids), status=Status.PROCESSING).update(
        status=Status.PROCESSED, processed_at=timezone.now(), error=""
    )


def delivery_release(*, delivery_id: int, error: str) -> None:
    """Give a claimed delivery back (a transient error): it stays queued for the retry or the sweep."""
    InboundDelivery.objects.filter(pk=delivery_id, status=Status.PROCESSING).update(
        status=Status.RECEIVED, error=error[:4000]
    )


def delivery_requeue(*, delivery_id: int, task) -> bool:
    """Staff "retry": a failed delivery goes back to received and is queued again."""
    with transaction.atomic():
        updated = InboundDelivery.objects.filter(pk=delivery_id, status=Status.FAILED).update(
            status=Status.RECEIVED, error=""
        )
        if updated:
            transaction.on_commit(lambda: _enqueue(task, delivery_id))
    return bool(updated)


# The sweep (a beat task every SWEEP_EVERY) re-queues deliveries a lost task or a dead worker
# left behind; these bounds make a stranded delivery processed within two minutes of the broker
# coming back (or of a worker being killed), still once: claims are conditional updates.
SWEEP_EVERY = timedelta(seconds=30)
# Received and never claimed this long after arriving: its queued task was lost (the broker was
# down, or a worker died holding it). The intake's drain claims a push within milliseconds.
SWEEP_RECEIVED_AFTER = timedelta(seconds=60)
# Claimed this long ago and not finished: the worker died. A claim covers one batch, which makes
# at most two provider calls with a 25 s timeout each, so a live worker never holds one this long.
SWEEP_CLAIMED_AFTER = timedelta(seconds=90)
# Given back after a transient error and not retried since: the delayed retry (at most 10 min
# later) was lost.
SWEEP_RELEASED_AFTER = timedelta(minutes=15)
# A delivery tried this many times is marked failed for staff instead of being queued again.
SWEEP_MAX_ATTEMPTS = 10


def delivery_stale_ids(
    *,
    providers: Iterable[str],
    received_before: timedelta = SWEEP_RECEIVED_AFTER,
    claimed_before: timedelta = SWEEP_CLAIMED_AFTER,
    released_before: timedelta = SWEEP_RELEASED_AFTER,
    max_attempts: int = SWEEP_MAX_ATTEMPTS,
    limit: int = 500,
    now=None,
) -> list[int]:
    """Deliveries a crash left behind: received but never claimed, claimed long ago and unfinished,
    or given back after a transient error and never retried.

    Stale claims are put back to "received" here so that the next claim succeeds; deliveries that
    already had `max_attempts` tries are marked failed (visible on the failed-work page) instead.
    """
    now = now or timezone.now()
    providers = list(providers)
    stuck = InboundDelivery.objects.filter(provider__in=providers).filter(
        Q(status=Status.RECEIVED, claimed_at__isnull=True, received_at__lt=now - received_before)
        | Q(status=Status.RECEIVED, claimed_at__lt=now - released_before)
        | Q(status=Status.PROCESSING, claimed_at__lt=now - claimed_before)
        | Q(status=Status.PROCESSING, claimed_at__isnull=True, received_at__lt=now - claimed_before)
    )
    rows = list(stuck.order_by("received_at").values_list("pk", "attempts")[:limit])
    exhausted = [pk for pk, attempts in rows if attempts >= max_attempts]
    ids = [pk for pk, attempts in rows if attempts < max_attempts]
    if exhausted:
        InboundDelivery.objects.filter(pk__in=exhausted, status__in=[Status.RECEIVED, Status.PROCESSING]).update(
            status=Status.FAILED, error=f"gave up after {max_attempts} attempts"
        )
    if ids:
        InboundDelivery.objects.filter(pk__in=ids, status=Status.PROCESSING).update(status=Status.RECEIVED)
    return ids


# provider -> function(delivery_id) -> bool that sends a failed delivery back for processing.
# Each receiving app registers its providers in AppConfig.ready(), so the dashboard's failed-work
# page can retry any delivery without knowing which app processes it.
_retry_handlers: dict[str, Callable[[int], bool]] = {}


def register_retry(provider: str, handler: Callable[[int], bool]) -> None:
    _retry_handlers[provider] = handler


def delivery_retry(*, delivery_id: int) -> bool:
    """Staff retry of a failed delivery of any provider; False when it is not (or no longer) failed."""
    delivery = InboundDelivery.objects.filter(pk=delivery_id).only("provider", "status").first()
    if delivery is None or delivery.status != Status.FAILED:
        return False
    handler = _retry_handlers.get(delivery.provider)
    if handler is None:  # a provider no app processes any more: nothing to send it to
        logger.warning("no retry handler for provider %r (delivery %s)", delivery.provider, delivery_id)
        return False
    return handler(delivery_id)

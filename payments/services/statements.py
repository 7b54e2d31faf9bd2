"""Bank statement import and automatic matching of credits to open bank transfers.

Rows already stored (same fingerprint) are skipped. Matching is a hash join done before writing
(open transfers by amount, or by order number for those without a kode unik; one candidate
claimed by one credit is a match). Per chunk, in one transaction: claim the payments, COPY the
lines in matched, and pay the payments through the same planner and writer as a Finance approval
(`plan_payment_paid`, `payments_write`). A job resumes from `rows_parsed`.
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from time import perf_counter

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
from core.heap import heap_frozen
from core.money import format_idr
from payments import conf
from payments.models import (
    OVERPAID_DECISIONS,
    UNDERPAID_DECISIONS,
    BankAccount,
    LineAllocation,
    LineMatch,
    MatchDecision,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StatementImport,
    StatementLine,
)
from payments.selectors import match_difference
from payments.services import journal, transitions
from payments.services.refunds import refund_create
from payments.statements.parsers import ParsedLine, StatementError, parse_statement, validate_column_mapping
from payments.statements.references import description_tokens, plain_reference

logger = logging.getLogger(__name__)

INSERT_CHUNK = 10_000
MATCH_CHUNK = 5_000
MATCHED_NOTE = "Matched to a bank statement credit"
LATE_MATCHED_NOTE = "Matched to a bank statement credit after the payment window"


def line_fingerprint(*, account: str, line: ParsedLine, occurrence: int) -> str:
    """Identity of a statement row; `occurrence` numbers identical rows within one file."""
    key = "|".join([account, line.booked_on.isoformat() if line.booked_on else "PEND", str(line.amount),
                    "CR" if line.is_credit else "DB", " ".join(line.description.upper().split()), str(occurrence)])
    return hashlib.sha256(key.encode()).hexdigest()


def statement_import_create(*, data: bytes, filename: str, fmt: str, bank_account_id: int | None = None,
        column_mapping: dict | None = None, actor=None, run: bool = True) -> StatementImport:
    """Store an uploaded statement and queue its import (after commit)."""
    errors = {}
    if fmt not in StatementImport.Format.values:
        errors["format"] = [f"unknown format {fmt!r}"]
    if not data:
        errors["file"] = ["the file is empty"]
    elif len(data) > conf.statement_max_bytes():
        errors["file"] = [f"the file is larger than {conf.statement_max_bytes() // (1024 * 1024)} MB"]
    mapping = column_mapping or {}
    if fmt == StatementImport.Format.GENERIC:
        mapping_errors = validate_column_mapping(mapping)
        if mapping_errors:
            errors["column_mapping"] = [f"{k}: {v}" for k, v in mapping_errors.items()]
    if bank_account_id is not None and not BankAccount.objects.filter(pk=bank_account_id).exists():
        errors["bank_account"] = ["no such bank account"]
    if errors:
        raise DomainError("The statement cannot be imported.", detail={"fields": errors})
    with transaction.atomic():
        job = StatementImport(
            bank_account_id=bank_account_id, format=fmt, column_mapping=mapping, filename=filename[:255],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        job.file.save(filename or "statement.csv", ContentFile(data), save=False)
        job.save()
        if run:
            from payments.tasks import statement_import_task

            statement_import_task.delay_on_commit(job.pk)
    return job


def statement_import_resume(*, import_id: int) -> StatementImport:
    """Queue an unfinished (or failed) import again; it continues where it stopped."""
    job = StatementImport.objects.filter(pk=import_id).first()
    if job is None:
        raise NotFound(f"Import {import_id} does not exist.")
    if job.status == StatementImport.Status.DONE:
        raise Conflict("This import is finished.")
    from payments.tasks import statement_import_task

    StatementImport.objects.filter(pk=import_id).update(status=StatementImport.Status.QUEUED, error="")
    transaction.on_commit(lambda: statement_import_task.delay(import_id))
    return job


def _account_label(job: StatementImport) -> str:
    return job.bank_account.account_number if job.bank_account_id else ""


LINE_COLUMNS = (
    "account, booked_on, description, amount, is_credit, is_pending, fingerprint, match_status, note, payment_id, "
    "matched_at"
)


def _insert_lines(job_id: int, rows: list[tuple]) -> list[tuple[int, int | None]]:
    """COPY the rows into a temporary table, then INSERT ... ON CONFLICT (fingerprint) DO NOTHING;
    returns (id, payment_id) of the rows inserted."""
    if not rows:
        return []
    table = StatementLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS payments_tmp_stmt_lines (account varchar(60), booked_on date, "
            "description varchar(500), amount bigint, is_credit boolean, is_pending boolean, "
            "fingerprint varchar(64), match_status varchar(12), note text, payment_id bigint, "
            "matched_at timestamptz) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(f"COPY payments_tmp_stmt_lines ({LINE_COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} (statement_import_id, {LINE_COLUMNS}) "  # noqa: S608
            f"SELECT %s, {LINE_COLUMNS} FROM payments_tmp_stmt_lines ON CONFLICT (fingerprint) DO NOTHING "
            "RETURNING id, payment_id",
            [job_id],
        )
        return list(cursor.fetchall())


def statement_import_run(*, import_id: int) -> StatementImport:
    """Parse, store and match one statement. Idempotent and resumable; an unexpected error ends the
    job failed with a message and is raised again for the task's failure record."""
    job = StatementImport.objects.select_related("bank_account").filter(pk=import_id).first()
    if job is None:
        raise NotFound(f"Import {import_id} does not exist.")
    if job.status == StatementImport.Status.DONE:
        return job
    try:
        with heap_frozen():  # the statement's rows and plans are scanned, not the worker's whole heap
            return _statement_import_run(job)
    except Exception as exc:
        logger.exception("statement import %s stopped", job.pk)
        StatementImport.objects.filter(pk=job.pk).update(
            status=StatementImport.Status.FAILED, finished_at=timezone.now(),
            error=f"The import stopped on an unexpected error ({type(exc).__name__}); "
                  f"rows stored so far are kept and a retry continues after them.",
        )
        raise


def _statement_import_run(job: StatementImport) -> StatementImport:
    StatementImport.objects.filter(pk=job.pk).update(
        status=StatementImport.Status.PARSING, started_at=job.started_at or timezone.now(), error=""
    )
    started = perf_counter()
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        parsed = parse_statement(data, job.format, column_mapping=job.column_mapping)
    except (StatementError, OSError) as exc:
        StatementImport.objects.filter(pk=job.pk).update(
            status=StatementImport.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job

    account = _account_label(job)
    seen: dict[tuple, int] = defaultdict(int)
    rows: list[tuple] = []
    for line in parsed:
        identity = (line.booked_on, line.amount, line.is_credit, " ".join(line.description.upper().split()))
        occurrence = seen[identity]
        seen[identity] += 1
        if line.is_pending:
            status = LineMatch.PENDING
        elif not line.is_credit:
            status = LineMatch.DEBIT
        else:
            status = LineMatch.UNMATCHED
        rows.append((account, line.booked_on, line.description, line.amount, line.is_credit, line.is_pending,
                     line_fingerprint(account=account, line=line, occurrence=occurrence), status, ""))
    StatementImport.objects.filter(pk=job.pk).update(
        rows_total=len(rows), rows_credit=sum(1 for r in rows if r[4] and not r[5])
    )
    offset = StatementImport.objects.values_list("rows_parsed", flat=True).get(pk=job.pk)
    todo = rows[offset:]
    existing = _existing_fingerprints(todo)
    # Match before writing: the hash join runs over every new credit of the file at once (so a
    # payment claimed by two lines anywhere in the file is ambiguous), then each chunk claims its
    # payments and inserts its lines already matched, with their side effects, in one transaction.
    credits = [
        (i, row[3], row[1], row[2]) for i, row in enumerate(todo)
        if row[7] == LineMatch.UNMATCHED and row[6] not in existing
    ]
    parsed_at = perf_counter()
    pairs, ambiguous = find_matches(credits)
    joined_at = perf_counter()
    pair_by_index = {i: (pid, status) for i, pid, status in pairs}
    ambiguous_set = set(ambiguous)
    StatementImport.objects.filter(pk=job.pk).update(status=StatementImport.Status.MATCHING)
    for start in range(0, len(todo), INSERT_CHUNK):
        chunk = list(enumerate(todo[start : start + INSERT_CHUNK], start=start))
        with transaction.atomic():
            new, matched = _write_chunk(job.pk, chunk, existing, pair_by_index, ambiguous_set)
            StatementImport.objects.filter(pk=job.pk).update(
                rows_parsed=offset + start + len(chunk), rows_new=F("rows_new") + new,
                rows_duplicate=F("rows_duplicate") + (len(chunk) - new), rows_matched=F("rows_matched") + matched,
            )
    written_at = perf_counter()
    logger.info(
        "statement import %s: %s rows; parse+fingerprint+known %.2fs, hash join %.2fs, writes %.2fs",
        job.pk, len(rows), parsed_at - started, joined_at - parsed_at, written_at - joined_at,
    )
    done = Q(match_status__in=[LineMatch.MATCHED, LineMatch.MANUAL, LineMatch.SPLIT])
    counts = StatementLine.objects.filter(statement_import_id=job.pk).aggregate(
        matched=Count("id", filter=done), ambiguous=Count("id", filter=Q(match_status=LineMatch.AMBIGUOUS)),
        left=Count("id", filter=Q(match_status__in=[LineMatch.UNMATCHED, LineMatch.AMBIGUOUS])))
    StatementImport.objects.filter(pk=job.pk).update(
        status=StatementImport.Status.DONE, finished_at=timezone.now(), rows_matched=counts["matched"],
        rows_ambiguous=counts["ambiguous"], rows_left=counts["left"],
    )
    job.refresh_from_db()
    return job


def _existing_fingerprints(rows: list[tuple]) -> set[str]:
    """Fingerprints of these rows already stored: one range read over the statement's dates
    (plus its pending rows) instead of a lookup per row."""
    days = [row[1] for row in rows if row[1] is not None]
    if not rows:
        return set()
    known = StatementLine.objects.filter(account=rows[0][0])
    if days:
        known = known.filter(Q(booked_on__range=(min(days), max(days))) | Q(booked_on__isnull=True))
    else:
        known = known.filter(booked_on__isnull=True)
    wanted = {row[6] for row in rows}
    return {fp for fp in known.values_list("fingerprint", flat=True).iterator(chunk_size=20_000) if fp in wanted}


def _claim(wanted: dict[int, str]) -> dict[int, transitions.LockedPayment]:
    """Lock the matched payments that are still as the matching saw them ({payment_id: status}):
    open bank transfers with nothing received (one paid by a webhook meanwhile is not claimed)."""
    if not wanted:
        return {}
    # The ids as one array parameter: a 9,000-item IN list costs 0.1 s more to render and plan.
    rows = transitions.payments_lock(Payment.objects.filter(
        pk__in=RawSQL("SELECT unnest(%s::bigint[])", [journal.array_literal(wanted)]), received_amount=0,
        method=PaymentMethod.BANK_TRANSFER, status__in=[PaymentStatus.PENDING, PaymentStatus.EXPIRED]))
    return {p.id: p for p in rows if p.status == wanted[p.id]}


def _settle(claimed: dict[int, transitions.LockedPayment], matches: list[tuple[int, int, date | None]], now) -> None:
    """Matched credits [(line_id, payment_id, booked_on)] of claimed payments through the payment
    planner: pending -> paid as a Finance approval makes it, expired -> needs_review with the money
    booked; one write. (Plain tuples: the garbage collector stops walking them after one pass.)"""
    today = timezone.localdate(now)
    reversed_ids = transitions.charges_reversed([claimed[pid] for _lid, pid, _d in matches])
    plans = []
    for line_id, payment_id, booked_on in matches:
        payment = claimed[payment_id]
        data = {"line_id": line_id}
        if payment.status == PaymentStatus.PENDING:
            plans.append(transitions.plan_payment_paid(
                payment, now=now, booked_on=booked_on or today, source="statement", note=MATCHED_NOTE,
                charge_reversed=payment.pk in reversed_ids, data=data,
            ))
        else:
            plans.append(transitions.plan_payment_flagged(
                payment, now=now, booked_on=booked_on or today, source="statement", reason=LATE_MATCHED_NOTE,
                received_amount=payment.amount, data=data,
            ))
    transitions.payments_write(plans)


def _write_chunk(job_id: int, chunk: list[tuple[int, tuple]], existing: set[str],
                 pair_by_index: dict[int, tuple[int, str]], ambiguous: set[int]) -> tuple[int, int]:
    """Claim the chunk's matched payments, insert its new lines, settle the matches. (new, matched)"""
    now = timezone.now()
    index_of = {pair_by_index[i][0]: i for i, _row in chunk if i in pair_by_index}
    claimed = _claim(dict(pair_by_index[i] for i, _row in chunk if i in pair_by_index))
    payment_of = {index_of[pid]: pid for pid in claimed}
    out = []
    booked: dict[int, date | None] = {}
    for i, row in chunk:
        if row[6] in existing:
            continue
        account, booked_on, description, amount, is_credit, is_pending, fingerprint, status, note = row
        pid = payment_of.get(i)
        if pid is not None:
            status = LineMatch.MATCHED
            booked[pid] = booked_on
        elif i in ambiguous:
            status = LineMatch.AMBIGUOUS
        out.append((account, booked_on, description, amount, is_credit, is_pending, fingerprint, status, note, pid,
                    now if pid else None))
    inserted = _insert_lines(job_id, out)
    matched = [(line_id, payment_id) for line_id, payment_id in inserted if payment_id is not None]
    if len(matched) != len(claimed):
        raise Conflict("Another import of the same lines ran at the same time; resume this import.")
    _settle(claimed, [(line_id, pid, booked[pid]) for line_id, pid in matched], now)
    return len(inserted), len(matched)


# --- Matching -------------------------------------------------------------------------------


def find_matches(lines: list[tuple[int, int, date, str]]) -> tuple[list[tuple[int, int, str]], list[int]]:
    """Hash join of credit lines (id, amount, booked_on, description) with open bank transfers
    (nothing received; pending, or expired when the line's date is in their window): by exact amount,
    or, for those without a kode unik, by order number in the description (winning over amount-only
    candidates). Returns ([(line_id, payment_id, status)], ambiguous line ids): a pair when the line
    has one candidate that no other line claims."""
    if not lines:
        return [], []
    amounts = {line[1] for line in lines}
    earliest = min(line[2] for line in lines)
    earliest_moment = timezone.make_aware(datetime.combine(earliest - timedelta(days=1), time.min))
    open_transfers = Payment.objects.filter(
        Q(status=PaymentStatus.PENDING) | Q(status=PaymentStatus.EXPIRED, expires_at__gte=earliest_moment),
        method=PaymentMethod.BANK_TRANSFER, received_amount=0, amount__gte=min(amounts), amount__lte=max(amounts),
    ).annotate(
        # The window's local days computed by the database: a date is cheaper to load than a
        # timestamp moved to local time in Python (10,000 open payments: 0.10 -> 0.06 s).
        first_day=TruncDate("created_at"), last_day=TruncDate("expires_at"),
    )
    columns = ("id", "amount", "first_day", "last_day", "status")
    by_amount: dict[int, list[tuple[int, date, date, str]]] = defaultdict(list)
    for pid, amount, first_day, last_day, status in open_transfers.filter(
            match_by_order_number=False).values_list(*columns).iterator(chunk_size=20_000):
        if amount in amounts:
            by_amount[amount].append((pid, first_day, last_day or date.max, status))
    # Those without a kode unik (few: only amounts whose codes ran out), by their order number written plain.
    by_number: dict[str, list[tuple[int, int, date, date, str]]] = defaultdict(list)
    for pid, amount, first_day, last_day, status, number in open_transfers.filter(
            match_by_order_number=True).values_list(*columns, "order__number"):
        by_number[plain_reference(number)].append((pid, amount, first_day, last_day or date.max, status))

    candidates: dict[int, list[tuple[int, str]]] = {}
    claims: dict[int, int] = defaultdict(int)
    for line_id, amount, booked_on, *rest in lines:
        found = []
        if by_number and rest:
            for token in description_tokens(rest[0]) & by_number.keys():
                found += [(pid, status) for pid, expected, start, end, status in by_number[token]
                          if expected == amount and start <= booked_on <= end]
        if not found:
            found = [(pid, status) for pid, start, end, status in by_amount.get(amount, ())
                     if start <= booked_on <= end]
        if found:
            candidates[line_id] = found
            for pid, _status in found:
                claims[pid] += 1
    pairs, ambiguous = [], []
    for line_id, found in candidates.items():
        if len(found) == 1 and claims[found[0][0]] == 1:
            pairs.append((line_id, found[0][0], found[0][1]))
        else:
            ambiguous.append(line_id)
    return pairs, ambiguous


def statement_lines_match(*, import_id: int | None = None) -> dict[str, int]:
    """Match unmatched credit lines (of one import, or all) to open bank transfers."""
    qs = StatementLine.objects.filter(match_status=LineMatch.UNMATCHED, is_credit=True, is_pending=False,
                                      booked_on__isnull=False)
    if import_id is not None:
        qs = qs.filter(statement_import_id=import_id)
    lines = list(qs.values_list("id", "amount", "booked_on", "description"))
    pairs, ambiguous = find_matches(lines)
    matched = 0
    for start in range(0, len(pairs), MATCH_CHUNK):
        matched += _apply_matches(pairs[start : start + MATCH_CHUNK])
        if import_id is not None:
            StatementImport.objects.filter(pk=import_id).update(rows_matched=matched)
    for start in range(0, len(ambiguous), MATCH_CHUNK):
        StatementLine.objects.filter(
            pk__in=ambiguous[start : start + MATCH_CHUNK], match_status=LineMatch.UNMATCHED
        ).update(match_status=LineMatch.AMBIGUOUS)
    return {"lines": len(lines), "matched": matched, "ambiguous": len(ambiguous)}


def _apply_matches(pairs: list[tuple[int, int, str]]) -> int:
    """Write one chunk of unique (line, payment, status) pairs set-based; returns how many were applied."""
    now = timezone.now()
    with transaction.atomic():
        line_of = {pid: lid for lid, pid, _status in pairs}
        claimed = _claim({pid: status for _lid, pid, status in pairs})
        if not claimed:
            return 0
        lines = list(StatementLine.objects.select_for_update().filter(
            pk__in=[line_of[pid] for pid in claimed], match_status=LineMatch.UNMATCHED))
        payment_of_line = {lid: pid for pid, lid in line_of.items()}
        for line in lines:
            line.payment_id = payment_of_line[line.pk]
            line.match_status = LineMatch.MATCHED
            line.matched_at = now
        StatementLine.objects.bulk_update(lines, ["payment", "match_status", "matched_at"], batch_size=1_000)
        _settle(claimed, [(line.pk, line.payment_id, line.booked_on) for line in lines], now)
    return len(lines)


# --- The reconciliation queue: Finance's hands ------------------------------------------------


def _lock_line(line_id: int) -> StatementLine:
    line = StatementLine.objects.select_for_update().filter(pk=line_id).first()
    if line is None:
        raise NotFound(f"Statement line {line_id} does not exist.")
    if not line.is_credit or line.is_pending:
        raise Conflict("Only settled credits can be matched.")
    if line.match_status not in (LineMatch.UNMATCHED, LineMatch.AMBIGUOUS):
        raise Conflict(f"This line is already {line.get_match_status_display().lower()}.")
    return line


def _check_decision(*, difference: int, decision: str | None, reason: str) -> None:
    """A credit that differs from what the payment expects needs Finance's choice and a reason."""
    if not difference:
        return
    allowed = OVERPAID_DECISIONS if difference > 0 else UNDERPAID_DECISIONS
    errors = {}
    if decision not in allowed:
        errors["decision"] = [f"choose one of {', '.join(allowed)}"]
    if not reason:
        errors["reason"] = ["required"]
    if errors:
        kind = "more" if difference > 0 else "less"
        raise DomainError(
            f"The credit is {format_idr(abs(difference))} {kind} than the payment expects: "
            "choose what to do and say why.",
            detail={"fields": errors, "difference": difference},
        )


def statement_line_match(
        *, line_id: int, payment_id: int, actor, note: str = "", decision: str | None = None, reason: str = ""
) -> StatementLine:
    """Finance matches a whole credit to a payment by hand. A credit that differs needs a decision and
    a reason (more: refund or keep as credit; less: keep outstanding, or accept as paid, Finance only,
    the rest written off), recorded on the payment's event."""
    reason = (reason or "").strip()
    with transaction.atomic():
        line = _lock_line(line_id)
        payment = Payment.objects.filter(pk=payment_id).first()
        if payment is None:
            raise NotFound(f"Payment {payment_id} does not exist.")
        difference = match_difference(line_amount=line.amount, payment=payment)
        _check_decision(difference=difference, decision=decision, reason=reason)
        data = {"difference": difference, "decision": decision, "reason": reason} if difference else None
        line = _allocate(line, [(payment_id, line.amount)], actor=actor, note=note or reason, data=data)
        if decision == MatchDecision.REFUND:
            refund_create(
                payment_id=payment_id, amount=difference, reason=reason, kind="overpayment",
                reference=f"line {line.pk}", actor=actor, source="statement",
            )
        elif decision == MatchDecision.ACCEPT_PAID:
            transitions.payment_accept_short(
                payment_id=payment_id, shortfall=-difference, reason=reason, key=f"write_off:line:{line.pk}",
                actor=actor, source="statement",
            )
    return line


def statement_line_split(
        *, line_id: int, allocations: list[tuple[int, int | None]], actor, note: str = ""
) -> StatementLine:
    """Apply one credit to several payments ([(payment_id, amount)], amounts summing to the line)."""
    with transaction.atomic():
        line = _lock_line(line_id)
        if not allocations:
            raise DomainError("Choose at least one payment.", detail={"allocations": "required"})
        if any(amount is None or amount <= 0 for _pid, amount in allocations):
            raise DomainError("Every part needs a positive amount.", detail={"allocations": "amount"})
        total = sum(amount for _pid, amount in allocations)
        if total != line.amount:
            raise DomainError(
                f"The parts add up to {format_idr(total)}, the credit is {format_idr(line.amount)}.",
                detail={"allocations": "sum", "total": total, "line_amount": line.amount},
            )
        if len({pid for pid, _a in allocations}) != len(allocations):
            raise DomainError("Each payment may appear once.", detail={"allocations": "duplicate"})
        return _allocate(line, allocations, actor=actor, note=note)


def _allocate(line: StatementLine, allocations: list[tuple[int, int]], *, actor, note: str,
              data: dict | None = None) -> StatementLine:
    for payment_id, amount in sorted(allocations):
        allocation = LineAllocation.objects.create(line=line, payment_id=payment_id, amount=amount,
                                                   created_by=actor if getattr(actor, "pk", None) else None)
        transitions.payment_receive(
            payment_id=payment_id, amount=amount, key=f"receipt:alloc:{allocation.pk}", actor=actor, source="statement",
            note=note or f"Statement credit {line.booked_on} matched by hand", booked_on=line.booked_on, data=data,
        )
    line.payment_id = allocations[0][0]
    return _close_line(line, LineMatch.MANUAL if len(allocations) == 1 else LineMatch.SPLIT, actor=actor, note=note)


def _close_line(line: StatementLine, status: str, *, actor, note: str) -> StatementLine:
    line.match_status, line.matched_at, line.note = status, timezone.now(), note
    line.matched_by = actor if getattr(actor, "pk", None) else None
    line.save(update_fields=["match_status", "payment", "matched_at", "matched_by", "note"])
    return line


def statement_line_mark_not_ours(*, line_id: int, actor, reason: str) -> StatementLine:
    """A credit that is no customer payment (interest, a transfer between own accounts...)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why this credit is not ours.", detail={"reason": "required"})
    with transaction.atomic():
        return _close_line(_lock_line(line_id), LineMatch.NOT_OURS, actor=actor, note=reason)

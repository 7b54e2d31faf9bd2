"""Bank statement import and automatic matching of credits to open bank transfers.

Import: the file is parsed once; rows already stored (same fingerprint) are skipped, so a
re-imported or overlapping statement adds nothing (the unique fingerprint is the backstop).

Matching is a hash join done before writing: the open bank-transfer payments whose amounts occur
in the statement are loaded once into a dict keyed by amount, each new credit looks up its
candidates by exact amount and checks the payment window; a credit with one candidate that no
other credit claims is a match, anything else is ambiguous or unmatched. Then per chunk, in one
transaction with the job's progress counters: a conditional UPDATE ... RETURNING claims the
payments (one paid by a webhook meanwhile is simply not claimed), the lines are COPYed in already
matched, and INSERT ... SELECT writes the payment events and the receipt journal entries. A job
cut short resumes from `rows_parsed`. Orders move forward in a few batched tasks after commit,
never a task per line. `statement_lines_match` re-runs matching over lines already stored.
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from time import perf_counter

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
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
from payments.services import payments as payment_services
from payments.statements.parsers import ParsedLine, StatementError, parse_statement, validate_column_mapping
from payments.statements.references import description_tokens, plain_reference

logger = logging.getLogger(__name__)

INSERT_CHUNK = 10_000
MATCH_CHUNK = 5_000
ORDER_SYNC_CHUNK = 500


def line_fingerprint(*, account: str, line: ParsedLine, occurrence: int) -> str:
    """Identity of a statement row: the same row in an overlapping export gets the same print.

    `occurrence` numbers identical rows within one file (two equal transfers on one day stay two).
    """
    key = "|".join(
        [
            account,
            line.booked_on.isoformat() if line.booked_on else "PEND",
            str(line.amount),
            "CR" if line.is_credit else "DB",
            " ".join(line.description.upper().split()),
            str(occurrence),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()


def statement_import_create(
    *,
    data: bytes,
    filename: str,
    fmt: str,
    bank_account_id: int | None = None,
    column_mapping: dict | None = None,
    actor=None,
    run: bool = True,
) -> StatementImport:
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
            bank_account_id=bank_account_id,
            format=fmt,
            column_mapping=mapping,
            filename=filename[:255],
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
    """Insert statement rows; rows already known (same fingerprint) are skipped.

    Returns (id, payment_id) of the rows actually inserted.

    On PostgreSQL the rows are streamed with COPY into a temporary table, then moved with one
    INSERT ... SELECT ... ON CONFLICT DO NOTHING; elsewhere a multi-row INSERT does the same.
    """
    if not rows:
        return []
    table = StatementLine._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
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
        inserted = []
        for start in range(0, len(rows), 1_000):  # SQLite takes at most 32,766 parameters
            part = rows[start : start + 1_000]
            placeholders = ",".join(["(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} (statement_import_id, {LINE_COLUMNS}) VALUES {placeholders} "  # noqa: S608
                "ON CONFLICT (fingerprint) DO NOTHING RETURNING id, payment_id",
                [value for row in part for value in (job_id, *row)],
            )
            inserted += cursor.fetchall()
        return inserted


def statement_import_run(*, import_id: int) -> StatementImport:
    """Parse, store and match one statement. Idempotent and resumable.

    A job never stays "parsing": an error the parser does not describe ends it failed with a
    message (and is raised again for the task's failure record).
    """
    job = StatementImport.objects.select_related("bank_account").filter(pk=import_id).first()
    if job is None:
        raise NotFound(f"Import {import_id} does not exist.")
    if job.status == StatementImport.Status.DONE:
        return job
    try:
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
        rows.append(
            (
                account,
                line.booked_on,
                line.description,
                line.amount,
                line.is_credit,
                line.is_pending,
                line_fingerprint(account=account, line=line, occurrence=occurrence),
                status,
                "",
            )
        )
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
                rows_parsed=offset + start + len(chunk),
                rows_new=F("rows_new") + new,
                rows_duplicate=F("rows_duplicate") + (len(chunk) - new),
                rows_matched=F("rows_matched") + matched,
            )
    written_at = perf_counter()
    logger.info(
        "statement import %s: %s rows; parse+fingerprint+known %.2fs, hash join %.2fs, writes %.2fs",
        job.pk, len(rows), parsed_at - started, joined_at - parsed_at, written_at - joined_at,
    )
    counts = _line_counts(job.pk)
    StatementImport.objects.filter(pk=job.pk).update(
        status=StatementImport.Status.DONE,
        finished_at=timezone.now(),
        rows_matched=counts["matched"],
        rows_ambiguous=counts["ambiguous"],
        rows_left=counts["left"],
    )
    job.refresh_from_db()
    return job


def _line_counts(import_id: int) -> dict[str, int]:
    qs = StatementLine.objects.filter(statement_import_id=import_id)
    return {
        "matched": qs.filter(match_status__in=[LineMatch.MATCHED, LineMatch.MANUAL, LineMatch.SPLIT]).count(),
        "ambiguous": qs.filter(match_status=LineMatch.AMBIGUOUS).count(),
        "left": qs.filter(match_status__in=[LineMatch.UNMATCHED, LineMatch.AMBIGUOUS]).count(),
    }


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


def _claim(payment_ids: list[int], *, from_status: str, to_status: str, now) -> list[tuple[int, int]]:
    """Conditionally take open, untouched payments: [(payment_id, order_id)] actually claimed."""
    if not payment_ids:
        return []
    table = Payment._meta.db_table
    paid_at = ", paid_at = %s" if to_status == PaymentStatus.PAID else ""
    params = [to_status, now, *([now] if paid_at else []), *payment_ids, from_status]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, received_amount = amount, updated_at = %s{paid_at} "  # noqa: S608
            f"WHERE id IN ({','.join(['%s'] * len(payment_ids))}) AND status = %s AND received_amount = 0 "
            f"AND method = 'bank_transfer' RETURNING id, order_id",
            params,
        )
        return list(cursor.fetchall())


def _write_chunk(job_id: int, chunk: list[tuple[int, tuple]], existing: set[str],
                 pair_by_index: dict[int, tuple[int, str]], ambiguous: set[int]) -> tuple[int, int]:
    """Claim the chunk's matched payments, insert its new lines, write side effects. (new, matched)"""
    now = timezone.now()
    wanted = {pair_by_index[i]: i for i, _row in chunk if i in pair_by_index}
    claimed = _claim([pid for pid, st in wanted if st == PaymentStatus.PENDING], from_status=PaymentStatus.PENDING,
                     to_status=PaymentStatus.PAID, now=now)
    claimed += _claim([pid for pid, st in wanted if st == PaymentStatus.EXPIRED], from_status=PaymentStatus.EXPIRED,
                      to_status=PaymentStatus.NEEDS_REVIEW, now=now)
    claimed_ids = {pid for pid, _oid in claimed}
    payment_of = {i: pid for (pid, _st), i in wanted.items() if pid in claimed_ids}
    out = []
    for i, row in chunk:
        if row[6] in existing:
            continue
        account, booked_on, description, amount, is_credit, is_pending, fingerprint, status, note = row
        pid = payment_of.get(i)
        if pid is not None:
            status = LineMatch.MATCHED
        elif i in ambiguous:
            status = LineMatch.AMBIGUOUS
        out.append((account, booked_on, description, amount, is_credit, is_pending, fingerprint, status, note, pid,
                    now if pid else None))
    inserted = _insert_lines(job_id, out)
    new = len(inserted)
    matched_ids = [line_id for line_id, payment_id in inserted if payment_id is not None]
    if len(matched_ids) != len(claimed_ids):
        raise Conflict("Another import of the same lines ran at the same time; resume this import.")
    if matched_ids:
        _insert_side_effects(matched_ids, now, timezone.localdate(now))
        order_ids = [oid for _pid, oid in claimed]

        def queue_sync():
            from payments.tasks import order_payment_sync_batch_task

            for start in range(0, len(order_ids), ORDER_SYNC_CHUNK):
                order_payment_sync_batch_task.delay(order_ids[start : start + ORDER_SYNC_CHUNK])

        transaction.on_commit(queue_sync)
    return new, len(matched_ids)


# --- Matching -------------------------------------------------------------------------------


def order_number_payments(*, earliest: date | None = None) -> dict[str, list[tuple[int, int, date, date, str]]]:
    """Open bank transfers without a kode unik, by their order number written plain:
    {number: [(payment_id, amount, first day, last day, status)]}. Few: only amounts whose codes ran out."""
    status = Q(status=PaymentStatus.PENDING)
    if earliest is not None:
        status |= Q(status=PaymentStatus.EXPIRED,
                    expires_at__gte=timezone.make_aware(datetime.combine(earliest - timedelta(days=1), time.min)))
    tz = timezone.get_current_timezone()
    found: dict[str, list] = defaultdict(list)
    for pid, amount, created_at, expires_at, st, number in Payment.objects.filter(
        status, method=PaymentMethod.BANK_TRANSFER, match_by_order_number=True, received_amount=0,
    ).values_list("id", "amount", "created_at", "expires_at", "status", "order__number"):
        end = expires_at.astimezone(tz).date() if expires_at else date.max
        found[plain_reference(number)].append((pid, amount, created_at.astimezone(tz).date(), end, st))
    return found


def find_matches(lines: list[tuple[int, int, date, str]]) -> tuple[list[tuple[int, int, str]], list[int]]:
    """Hash join of credit lines (id, amount, booked_on, description) with open bank-transfer payments.

    Candidates are bank transfers with nothing received yet, pending or expired (a transfer made
    in time but imported after the window closed), whose window [created day, expiry day] holds
    the line's date: by exact amount for those with a kode unik; for those opened without one
    (every code taken) by their order number in the description and the exact amount, which then
    wins over amount-only candidates. Returns ([(line_id, payment_id, payment_status)],
    ambiguous_line_ids): a pair only when the line has one candidate and that payment is claimed
    by no other line.
    """
    if not lines:
        return [], []
    amounts = {line[1] for line in lines}
    earliest = min(line[2] for line in lines)
    earliest_moment = timezone.make_aware(datetime.combine(earliest - timedelta(days=1), time.min))
    by_amount: dict[int, list[tuple[int, date, date, str]]] = defaultdict(list)
    open_payments = Payment.objects.filter(
        Q(status=PaymentStatus.PENDING) | Q(status=PaymentStatus.EXPIRED, expires_at__gte=earliest_moment),
        method=PaymentMethod.BANK_TRANSFER,
        match_by_order_number=False,
        received_amount=0,
        amount__gte=min(amounts),
        amount__lte=max(amounts),
    ).values_list("id", "amount", "created_at", "expires_at", "status")
    tz = timezone.get_current_timezone()
    for pid, amount, created_at, expires_at, status in open_payments.iterator(chunk_size=20_000):
        if amount in amounts:
            end = expires_at.astimezone(tz).date() if expires_at else date.max
            by_amount[amount].append((pid, created_at.astimezone(tz).date(), end, status))
    by_number = order_number_payments(earliest=earliest)

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


def _update_lines(pairs: list[tuple[int, int]], matched_at) -> None:
    table = StatementLine._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ",".join(["(%s::bigint,%s::bigint)"] * len(pairs))
            cursor.execute(
                f"UPDATE {table} AS l SET payment_id = v.pid, match_status = %s, matched_at = %s "  # noqa: S608
                f"FROM (VALUES {values}) AS v(lid, pid) WHERE l.id = v.lid",
                [LineMatch.MATCHED, matched_at, *[x for pair in pairs for x in pair]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET payment_id = %s, match_status = %s, matched_at = %s WHERE id = %s",  # noqa: S608
                [(pid, LineMatch.MATCHED, matched_at, lid) for lid, pid in pairs],
            )


def _apply_matches(pairs: list[tuple[int, int, str]]) -> int:
    """Write one chunk of unique (line, payment) pairs set-based; returns how many were applied."""
    now = timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        wanted = {pid: (lid, status) for lid, pid, status in pairs}
        # Claim: only payments still open and untouched (a webhook may have paid one meanwhile).
        claimable = list(
            Payment.objects.select_for_update(of=("self",))
            .filter(pk__in=list(wanted), received_amount=0, status__in=[PaymentStatus.PENDING, PaymentStatus.EXPIRED])
            .values_list("id", "status")
        )
        to_paid = [pid for pid, status in claimable if status == PaymentStatus.PENDING]
        to_review = [pid for pid, status in claimable if status == PaymentStatus.EXPIRED]
        if not claimable:
            return 0
        Payment.objects.filter(pk__in=to_paid).update(
            status=PaymentStatus.PAID, received_amount=F("amount"), paid_at=now, updated_at=now
        )
        Payment.objects.filter(pk__in=to_review).update(
            status=PaymentStatus.NEEDS_REVIEW, received_amount=F("amount"), updated_at=now
        )
        claimed_pairs = [(wanted[pid][0], pid) for pid, _s in claimable]
        _update_lines(claimed_pairs, now)
        line_ids = [lid for lid, _pid in claimed_pairs]
        _insert_side_effects(line_ids, now, today)
        order_ids = list(Payment.objects.filter(pk__in=to_paid + to_review).values_list("order_id", flat=True))

        def queue_sync():
            from payments.tasks import order_payment_sync_batch_task

            for start in range(0, len(order_ids), ORDER_SYNC_CHUNK):
                order_payment_sync_batch_task.delay(order_ids[start : start + ORDER_SYNC_CHUNK])

        transaction.on_commit(queue_sync)
    return len(claimed_pairs)


def _insert_side_effects(line_ids: list[int], now, today: date) -> None:
    """Payment events and balanced receipt entries for matched lines, set-based.

    An automatic match is recorded on the line itself (line.payment); LineAllocation rows are
    for Finance's manual matches and splits.
    """
    from payments.models import Account, JournalEntry, JournalLine, PaymentEvent

    lines_t = StatementLine._meta.db_table
    pay_t = Payment._meta.db_table
    event_t = PaymentEvent._meta.db_table
    entry_t = JournalEntry._meta.db_table
    jline_t = JournalLine._meta.db_table
    pg = connection.vendor == "postgresql"
    ids_sql = ",".join(["%s"] * len(line_ids))
    data_expr = "CAST('{\"line_id\": ' || l.id || '}' AS jsonb)" if pg else "'{\"line_id\": ' || l.id || '}'"
    key_expr = "'receipt:line:' || l.id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {event_t} (payment_id, kind, from_status, to_status, source, note, data, created_at) "  # noqa: S608
            f"SELECT p.id, 'received', CASE WHEN p.status = 'paid' THEN 'pending' ELSE 'expired' END, p.status, "
            f"'statement', 'Matched to a bank statement credit', {data_expr}, %s "
            f"FROM {lines_t} l JOIN {pay_t} p ON p.id = l.payment_id WHERE l.id IN ({ids_sql})",
            [now, *line_ids],
        )
        if pg:
            # One statement: the entries' RETURNING feeds both lines of each entry.
            cursor.execute(
                f"WITH e AS (INSERT INTO {entry_t} (key, kind, booked_on, description, order_id, payment_id, "  # noqa: S608
                f"created_at) SELECT {key_expr}, 'receipt', COALESCE(l.booked_on, %s), 'Bank transfer ' || "
                f"p.reference, p.order_id, p.id, %s FROM {lines_t} l JOIN {pay_t} p ON p.id = l.payment_id "
                f"WHERE l.id IN ({ids_sql}) RETURNING id, payment_id), "
                f"x AS (SELECT e.id, p.received_amount AS amount FROM e JOIN {pay_t} p ON p.id = e.payment_id) "
                f"INSERT INTO {jline_t} (entry_id, account, debit_amount, credit_amount) "
                f"SELECT id, %s, amount, 0 FROM x UNION ALL SELECT id, %s, 0, amount FROM x",
                [today, now, *line_ids, Account.BANK, Account.RECEIVABLE],
            )
            return
        cursor.execute(
            f"INSERT INTO {entry_t} (key, kind, booked_on, description, order_id, payment_id, created_at) "  # noqa: S608
            f"SELECT {key_expr}, 'receipt', COALESCE(l.booked_on, %s), 'Bank transfer ' || p.reference, "
            f"p.order_id, p.id, %s FROM {lines_t} l JOIN {pay_t} p ON p.id = l.payment_id "
            f"WHERE l.id IN ({ids_sql})",
            [today, now, *line_ids],
        )
        cursor.execute(
            f"INSERT INTO {jline_t} (entry_id, account, debit_amount, credit_amount) "  # noqa: S608
            f"SELECT e.id, %s, l.amount, 0 FROM {lines_t} l JOIN {entry_t} e ON e.key = {key_expr} "
            f"WHERE l.id IN ({ids_sql}) "
            f"UNION ALL SELECT e.id, %s, 0, l.amount FROM {lines_t} l JOIN {entry_t} e ON e.key = {key_expr} "
            f"WHERE l.id IN ({ids_sql})",
            [Account.BANK, *line_ids, Account.RECEIVABLE, *line_ids],
        )


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
            f"The credit is Rp {abs(difference)} {kind} than the payment expects: choose what to do and say why.",
            detail={"fields": errors, "difference": difference},
        )


def statement_line_match(
    *, line_id: int, payment_id: int, actor, note: str = "", decision: str | None = None, reason: str = "",
) -> StatementLine:
    """Finance matches a credit to a payment by hand (the whole credit).

    When the credit differs from what the payment still expects, Finance chooses (with a reason):
    more -> refund the difference or keep it as the customer's credit; less -> keep the rest
    outstanding (the payment waits for it, the order is not paid) or accept as paid (Finance role
    only; the rest is written off). The choice and reason are recorded on the payment's event.
    """
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
            payment_services.refund_create(
                payment_id=payment_id, amount=difference, reason=reason, kind="overpayment",
                reference=f"line {line.pk}", actor=actor, source="statement",
            )
        elif decision == MatchDecision.ACCEPT_PAID:
            payment_services.payment_accept_short(
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
                f"The parts add up to Rp {total}, the credit is Rp {line.amount}.",
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
        payment_services.payment_receive(
            payment_id=payment_id,
            amount=amount,
            key=f"receipt:alloc:{allocation.pk}",
            actor=actor,
            source="statement",
            note=note or f"Statement credit {line.booked_on} matched by hand",
            booked_on=line.booked_on,
            data=data,
        )
    line.match_status = LineMatch.MANUAL if len(allocations) == 1 else LineMatch.SPLIT
    line.payment_id = allocations[0][0]
    line.matched_at = timezone.now()
    line.matched_by = actor if getattr(actor, "pk", None) else None
    line.note = note
    line.save(update_fields=["match_status", "payment", "matched_at", "matched_by", "note"])
    return line


def statement_line_mark_not_ours(*, line_id: int, actor, reason: str) -> StatementLine:
    """A credit that is no customer payment (interest, a transfer between own accounts...)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why this credit is not ours.", detail={"reason": "required"})
    with transaction.atomic():
        line = _lock_line(line_id)
        line.match_status = LineMatch.NOT_OURS
        line.matched_at = timezone.now()
        line.matched_by = actor if getattr(actor, "pk", None) else None
        line.note = reason
        line.save(update_fields=["match_status", "matched_at", "matched_by", "note"])
    return line

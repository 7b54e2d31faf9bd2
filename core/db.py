"""Small database helpers for the hottest write paths: an INSERT built once per model and kept.

`Model.save(force_insert=True)` and `bulk_create` compile the INSERT again for every call. For
one row and for short lists the compilation costs more CPU than PostgreSQL spends running the
statement (bench/db_insert.py, docs/BENCHMARKS.md, median µs per call: one row 401 against
save()'s 478, -16 %; three rows 619 against bulk_create's 1,045, -41 %; ten rows -6 %; fifty rows
+27 %). The helpers use Django's own field preparation (defaults, auto_now, get_db_prep_save) and
fill the primary key and the instance state the way save() does.
"""

from __future__ import annotations

from functools import cache

from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_save, pre_save


@cache
def _insert_plan(model: type[Model], with_pk: bool, rows: int = 1) -> tuple[str, tuple]:
    quote = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    pk = model._meta.pk
    returning = f" RETURNING {quote(pk.column)}"
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)}{returning}"
    )
    return sql, fields


def _plain(model: type[Model]) -> bool:
    return (
        model.save is Model.save
        and not pre_save.has_listeners(model)
        and not post_save.has_listeners(model)
    )


def insert_instance(obj: Model) -> Model:
    """INSERT `obj` (a new instance) in one statement; returns it saved, primary key set.

    For models whose saving nobody listens to: with pre_save/post_save receivers (or an overridden
    save()) it falls back to `obj.save(force_insert=True)`, so no behaviour is skipped.
    """
    model = type(obj)
    if not _plain(model):
        obj.save(force_insert=True)
        return obj
    with_pk = obj.pk is not None
    sql, fields = _insert_plan(model, with_pk)
    params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return mark_saved(obj, obj.pk if with_pk else row[0])


def mark_saved(obj: Model, pk) -> Model:
    """Set the primary key and the instance state as save() leaves them after an INSERT."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


SMALL_LIST = 5  # the built INSERT gains over 15 % up to here (3 rows: -41 %, 10 rows: -6 %)


def insert_instances(objs: list[Model]) -> list[Model]:
    """Multi-row twin of insert_instance for new instances of one model without primary keys;
    returns them with their keys set. Lists longer than SMALL_LIST go to bulk_create."""
    if not objs:
        return objs
    model = type(objs[0])
    if len(objs) > SMALL_LIST or not _plain(model) or any(type(o) is not model or o.pk is not None for o in objs):
        return model.objects.bulk_create(objs)
    sql, fields = _insert_plan(model, False, len(objs))
    params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    return [mark_saved(obj, key) for obj, key in zip(objs, keys, strict=True)]

"""Small database helpers for the hottest write paths.

`Model.save(force_insert=True)` compiles the same INSERT again for every row: on the web-store
order path the compilation of three single-row inserts (order, event, notification trigger) cost
more CPU than PostgreSQL spent running them. `insert_instance` writes one instance with an INSERT
built once per model and kept, with the same field preparation Django uses (defaults, auto_now,
get_db_prep_save), and fills the primary key and the instance state the way save() does.
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
    if not with_pk:
        obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


# A statement with this many rows at most; longer lists are written in several.
MAX_ROWS_PER_INSERT = 100


def insert_instances(objs: list[Model]) -> list[Model]:
    """Multi-row twin of insert_instance for new instances of one model without primary keys
    (like bulk_create, whose compilation it saves); returns them with their keys set."""
    if not objs:
        return objs
    model = type(objs[0])
    if not _plain(model) or any(type(obj) is not model or obj.pk is not None for obj in objs):
        return model.objects.bulk_create(objs)
    for start in range(0, len(objs), MAX_ROWS_PER_INSERT):
        chunk = objs[start:start + MAX_ROWS_PER_INSERT]
        sql, fields = _insert_plan(model, False, len(chunk))
        params = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for obj in chunk for f in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            keys = [row[0] for row in cursor.fetchall()]
        if len(keys) != len(chunk):  # pragma: no cover - the database returns one key per row
            raise RuntimeError(f"{model.__name__}: {len(keys)} keys for {len(chunk)} rows")
        for obj, key in zip(chunk, keys, strict=True):
            obj.pk = key
            obj._state.adding = False
            obj._state.db = connection.alias
    return objs

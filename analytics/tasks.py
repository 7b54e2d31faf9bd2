"""Celery tasks of analytics: the rollup refresh (every 15 s) and the nightly customer model."""

from __future__ import annotations

from celery import shared_task

from core.tasking import OmsTask


@shared_task(base=OmsTask, name="analytics.tasks.rollup_refresh_task", ignore_result=True, max_retries=0)
def rollup_refresh_task() -> dict:
    from analytics.services.rollups import rollup_refresh

    result = rollup_refresh()
    return {"keys": result.keys, "orders": result.orders, "remaining": result.remaining}


@shared_task(base=OmsTask, name="analytics.tasks.customer_model_fit_task", ignore_result=True,
             autoretry_for=(Exception,), max_retries=2)
def customer_model_fit_task() -> dict:
    from analytics.services.customer_model import customer_model_fit

    result = customer_model_fit()
    return {"customers": result.customers, "seconds": round(result.seconds, 1), "error": result.error}

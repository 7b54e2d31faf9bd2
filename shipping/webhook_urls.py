"""Inbound aggregator webhooks, mounted under /webhooks/."""

from django.urls import path

from shipping import webhooks

urlpatterns = [
    path("biteship/", webhooks.biteship, name="webhook-biteship"),
    path("kiriminaja/", webhooks.kiriminaja, name="webhook-kiriminaja"),
]

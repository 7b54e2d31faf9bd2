"""Gateway webhooks, included from oms/urls.py under /webhooks/."""

from django.urls import path

from payments import webhooks

urlpatterns = [
    path("midtrans/", webhooks.midtrans, name="webhook-midtrans"),
    path("xendit/", webhooks.xendit, name="webhook-xendit"),
]

"""Inbound provider endpoints, one include per app that receives webhooks."""

from django.urls import include, path

urlpatterns: list = [
    path("", include("marketplaces.webhook_urls")),
    path("", include("payments.webhook_urls")),
    path("", include("shipping.webhook_urls")),
]

"""Inbound provider endpoints, one include per app that receives webhooks."""

urlpatterns: list = []

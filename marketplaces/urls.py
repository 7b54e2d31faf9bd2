"""The channel settings pages under one namespace ("channels"): channels' own pages (list, create,
edit) plus the marketplace ones (sync now, delivery log, retry) that need the layers above orders."""

from django.urls import path

from channels.urls import urlpatterns as channel_urlpatterns
from marketplaces import views

app_name = "channels"

urlpatterns = [
    *channel_urlpatterns,
    path("<int:channel_id>/sync/", views.channel_sync_now, name="sync"),
    path("<int:channel_id>/deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery-retry"),
]

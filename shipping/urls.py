"""Dashboard pages of shipping, mounted at /dashboard/shipping/."""

from django.urls import path

from shipping import views

app_name = "shipping"

urlpatterns = [
    path("", views.index, name="index"),
    path("waves/", views.waves, name="waves"),
    path("waves/<int:wave_id>/", views.wave_detail, name="wave"),
    path("pack/", views.pack, name="pack"),
    path("pack/start/", views.pack_start, name="pack-start"),
    path("pack/<int:shipment_id>/scan/", views.pack_scan, name="pack-scan"),
    path("pack/<int:shipment_id>/finish/", views.pack_finish, name="pack-finish"),
    path("pack/lines/<int:line_id>/tick/", views.pack_tick, name="pack-tick"),
    path("labels/", views.labels, name="labels"),
    path("handover/", views.handover_index, name="handover"),
    path("handover/<int:manifest_id>/", views.manifest_detail, name="manifest"),
    path("handover/<int:manifest_id>/scan/", views.manifest_scan, name="manifest-scan"),
    path("shipments/", views.shipment_list, name="list"),
    path("shipments/<int:shipment_id>/", views.shipment_detail, name="detail"),
    path("shipments/<int:shipment_id>/document/", views.marketplace_document, name="document"),
    path("shipments/<int:shipment_id>/<slug:action>/", views.shipment_action, name="action"),
    path("orders/<int:order_id>/quote/", views.order_quote, name="quote"),
    path("disputes/", views.disputes, name="disputes"),
    path("on-time/", views.on_time, name="on-time"),
    path("couriers/", views.couriers, name="couriers"),
    path("settings/", views.settings_page, name="settings"),
]

"""The customer's order-status page, mounted at /track/."""

from django.urls import path

from orders import track_views

app_name = "track"

urlpatterns = [
    path("", track_views.track_lookup, name="lookup"),
    path("<str:number>/<str:key>/", track_views.track_order, name="order"),
]

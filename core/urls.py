from django.urls import path

from core import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("stage/<slug:stage>/", views.stage, name="stage"),
    path("failed-work/", views.failed_work, name="failed-work"),
    path("failed-work/<int:failure_id>/retry/", views.failed_work_retry, name="failed-work-retry"),
    path("failed-work/deliveries/<int:delivery_id>/retry/", views.failed_delivery_retry,
         name="failed-delivery-retry"),
]

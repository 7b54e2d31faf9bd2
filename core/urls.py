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
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/hours/", views.calendar_hours_save, name="calendar-hours"),
    path("calendar/closures/", views.calendar_closure_add, name="calendar-closure-add"),
    path("calendar/closures/<int:closure_id>/remove/", views.calendar_closure_remove, name="calendar-closure-remove"),
]

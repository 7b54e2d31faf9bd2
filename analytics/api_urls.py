from django.urls import path

from analytics import api

urlpatterns = [
    path("reports/<slug:name>/", api.ReportApi.as_view(), name="api-report"),
]

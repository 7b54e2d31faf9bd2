from django.urls import path

from analytics import views
from analytics.reports import REPORTS

app_name = "analytics"

urlpatterns = [
    path("monthly.pdf", views.monthly_pdf, name="monthly-pdf"),
    path("inputs/", views.inputs, name="inputs"),
    path("inputs/visits/", views.visits_save, name="visits-save"),
    path("inputs/visits/import/", views.visits_import, name="visits-import"),
    path("inputs/spend/", views.spend_save, name="spend-save"),
    path("inputs/changes/", views.change_save, name="change-save"),
    path("<slug:name>/export.<str:fmt>", views.report_export, name="export"),
    *[path(f"{name}/", views.report_page, {"name": name}, name=name) for name in REPORTS],
]

from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("", views.index, name="index"),
    path("list/", views.payment_list, name="list"),
    path("<int:payment_id>/", views.payment_detail, name="detail"),
    path("<int:payment_id>/<slug:action>/", views.payment_action, name="action"),
    path("proofs/", views.proofs, name="proofs"),
    path("proofs/<int:proof_id>/file/", views.proof_file, name="proof-file"),
    path("proofs/<int:proof_id>/<slug:decision>/", views.proof_decide, name="proof-decide"),
    path("reconcile/", views.reconcile, name="reconcile"),
    path("reconcile/rematch/", views.rematch, name="rematch"),
    path("reconcile/export/", views.reconciliation_export, name="reconcile-export"),
    path("reconcile/<int:line_id>/<slug:action>/", views.reconcile_action, name="reconcile-action"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:import_id>/", views.import_detail, name="import-detail"),
    path("imports/<int:import_id>/resume/", views.import_resume, name="import-resume"),
    path("overdue/", views.overdue, name="overdue"),
    path("overdue/expire/", views.overdue_expire, name="overdue-expire"),
    path("settlements/", views.settlements, name="settlements"),
    path("cod/", views.cod, name="cod"),
    path("journal/", views.journal, name="journal"),
]

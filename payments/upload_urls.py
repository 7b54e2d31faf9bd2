"""Customer-facing payment pages (no login: the order's access key is the credential)."""

from django.urls import path

from payments import customer_views

app_name = "payments-pay"

urlpatterns = [
    path("<str:number>/<str:key>/proof/", customer_views.proof_upload, name="proof"),
    path("<str:number>/<str:key>/checkout/", customer_views.checkout_start, name="checkout"),
]

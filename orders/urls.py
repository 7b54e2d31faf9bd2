"""Dashboard pages of the orders app, mounted at /dashboard/orders/."""

from django.urls import path

from orders.views import documents, manual, orders

app_name = "orders"

urlpatterns = [
    path("", orders.order_list, name="list"),
    path("new/", manual.order_create, name="create"),
    path("new/customers/", manual.customer_search, name="customer-search"),
    path("new/variants/", manual.variant_search, name="variant-search"),
    path("bulk/", orders.order_bulk, name="bulk"),
    path("pick-list/", documents.pick_list, name="pick-list"),
    path("packing-slips/", documents.packing_slips, name="packing-slips"),
    path("export/", documents.export, name="export"),
    path("<int:order_id>/", orders.order_detail, name="detail"),
    path("<int:order_id>/note/", orders.order_add_note, name="add-note"),
    path("<int:order_id>/tags/", orders.order_set_tags, name="set-tags"),
    path("<int:order_id>/<slug:action>/", orders.order_action, name="action"),
]

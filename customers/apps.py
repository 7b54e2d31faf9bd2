from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from aftersales import hooks as aftersales_hooks
        from core import roles
        from core.navigation import NavLink, register_link
        from customers import hooks, track
        from customers.services import loyalty, vouchers
        from orders import discounts, track_views
        from orders import hooks as order_hooks

        discounts.register(vouchers.VoucherDiscount())
        discounts.register(loyalty.PointsDiscount())
        order_hooks.register_status_changed(hooks.on_order_status_changed)
        aftersales_hooks.register_return_completed(loyalty.points_reverse_for_return)
        aftersales_hooks.register_voucher_issuer(vouchers.voucher_issue_personal)
        track_views.register_track_section(track.points_section)

        crm = ["orders.view_customer", "customers.manage_crm", "customers.view_customertag",
               "customers.view_pointsentry", "customers.view_voucher"]
        marketing = ["customers.manage_marketing", "customers.view_campaign", "customers.add_voucher",
                     "customers.change_voucher", "customers.add_campaign", "customers.change_campaign"]
        roles.grant_many([roles.CUSTOMER_SERVICE], crm)
        roles.grant_many([roles.ADMIN], [*crm, *marketing, "customers.erase_customer"])
        roles.grant_many([roles.FINANCE], ["customers.view_voucher", "customers.view_campaign"])

        for order, (title, url, perm) in enumerate([
            (_("Customers"), "customers:list", "orders.view_customer"),
            (_("Possible duplicates"), "customers:duplicates", "customers.manage_crm"),
            (_("Vouchers"), "customers:vouchers", "customers.view_voucher"),
            (_("Loyalty"), "customers:loyalty", "customers.manage_marketing"),
            (_("Campaigns"), "customers:campaigns", "customers.view_campaign"),
        ]):
            register_link(NavLink("customers", title, url, permission=perm, order=10 + order * 10))

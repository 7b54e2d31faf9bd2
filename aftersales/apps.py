from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AftersalesConfig(AppConfig):
    name = "aftersales"
    verbose_name = _("After-sales")

    def ready(self) -> None:
        from aftersales import hooks as _aftersales_hooks  # noqa: F401 - the registry the CRM fills
        from aftersales import selectors, track
        from aftersales.services import intake
        from core import roles
        from core.navigation import NavLink, WorkQueue, register_link, register_queue
        from orders import hooks as order_hooks
        from orders import track_views

        order_hooks.register_marketplace_status_recorded(intake.on_marketplace_status_recorded,
                                                         batch=intake.on_marketplace_statuses_recorded)
        order_hooks.register_status_changed(on_order_status_changed)
        # A return parcel's tracking (delivered at our warehouse) receives its return, same transaction.
        from aftersales.services import returns
        from shipping import hooks as shipping_hooks

        shipping_hooks.register_status_changed(returns.on_shipment_status_changed,
                                               batch=returns.on_shipments_status_changed)
        track_views.register_track_section(track.track_section)

        view = ["aftersales.view_case", "aftersales.view_returnrequest", "aftersales.view_review",
                "aftersales.view_surveyresponse", "aftersales.view_warrantyclaim"]
        roles.grant_many([roles.CUSTOMER_SERVICE], [
            *view, "aftersales.add_case", "aftersales.change_case", "aftersales.work_case",
            "aftersales.approve_return", "aftersales.moderate_review", "aftersales.add_review",
        ])
        roles.grant_many([roles.WAREHOUSE], ["aftersales.view_case", "aftersales.view_returnrequest",
                                             "aftersales.receive_return"])
        roles.grant_many([roles.FINANCE], ["aftersales.view_case", "aftersales.view_returnrequest",
                                           "aftersales.approve_refund"])
        roles.grant_many([roles.ADMIN], [
            *view, "aftersales.add_case", "aftersales.change_case", "aftersales.work_case",
            "aftersales.approve_return", "aftersales.receive_return", "aftersales.approve_refund",
            "aftersales.moderate_review", "aftersales.add_review", "aftersales.manage_aftersales_settings",
        ])

        for order, (title, url, perm) in enumerate([
            (_("Cases"), "aftersales:cases", "aftersales.view_case"),
            (_("Returns"), "aftersales:returns", "aftersales.view_returnrequest"),
            (_("Reviews"), "aftersales:reviews", "aftersales.view_review"),
            (_("Feedback analysis"), "aftersales:feedback", "core.view_reports"),
            (_("After-sales settings"), "aftersales:settings", "aftersales.manage_aftersales_settings"),
        ]):
            register_link(NavLink("aftersales", title, url, permission=perm, order=10 + order * 10))

        queues = [
            ("aftersales.breached", _("Cases past their SLA"), _("Answer or resolve these first."),
             "aftersales:cases", "queue=breached", selectors.count_breached, "aftersales.view_case", True, 5),
            ("aftersales.due_soon", _("Cases due soon"), _("Their SLA runs out within two working hours."),
             "aftersales:cases", "queue=due_soon", selectors.count_due_soon, "aftersales.view_case", False, 10),
            ("aftersales.returns_approve", _("Returns to approve"), _("Customers wait for a yes or no."),
             "aftersales:returns", "queue=approve", selectors.count_returns_to_approve, "aftersales.approve_return",
             False, 20),
            ("aftersales.returns_receive", _("Returns on their way back"), _("Receive them when the parcel arrives."),
             "aftersales:returns", "queue=receive", selectors.count_returns_to_receive, "aftersales.receive_return",
             False, 30),
            ("aftersales.returns_inspect", _("Returns to inspect"), _("Resellable, damaged or missing?"),
             "aftersales:returns", "queue=inspect", selectors.count_returns_to_inspect, "aftersales.receive_return",
             False, 40),
            ("aftersales.returns_complete", _("Returns to refund or replace"), _("Inspected; give the outcome."),
             "aftersales:returns", "queue=complete", selectors.count_returns_to_complete, "aftersales.approve_refund",
             False, 50),
            ("aftersales.reviews_moderate", _("Reviews to moderate"), _("Publish or hide new reviews."),
             "aftersales:reviews", "queue=moderate", selectors.count_reviews_to_moderate,
             "aftersales.moderate_review", False, 60),
            ("aftersales.low_ratings", _("Low ratings to answer"), _("Ratings of 1-2 stars without a reply."),
             "aftersales:reviews", "queue=low", selectors.count_low_ratings, "aftersales.moderate_review", True, 70),
        ]
        for key, title, description, url, query, count, perm, danger, order in queues:
            register_queue(WorkQueue(key=key, stage="aftersales", title=title, description=description,
                                     url_name=url, url_query=query, count=count, permission=perm, danger=danger,
                                     order=order))


def on_order_status_changed(change) -> None:
    """Delivered: invite the customer to review and to answer the delivery survey (after commit)."""
    if change.to_status != "delivered" or change.from_status == change.to_status:
        return
    from django.db import transaction

    from aftersales.tasks import delivery_invitations_task

    order_id = change.order_id
    transaction.on_commit(lambda: delivery_invitations_task.delay(order_id), robust=True)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from core import roles
        from core.navigation import NavLink, WorkQueue, register_link, register_queue
        from orders import hooks
        from payments import selectors
        from payments.models import LineMatch
        from payments.services.hooks import on_order_created, on_orders_status_changed

        hooks.register_order_created(on_order_created)
        hooks.register_status_changed(batch=on_orders_status_changed)
        hooks.register_expiry_guard(selectors.order_expiry_block_reason)
        from payments.order_hooks import order_amount_due

        hooks.register_amount_due(order_amount_due)

        from core import inbox
        from payments.services import gateways
        from payments.tasks import gateway_delivery_process_task

        for provider in (gateways.MIDTRANS, gateways.XENDIT):
            inbox.register_retry(
                provider,
                lambda delivery_id: inbox.delivery_requeue(delivery_id=delivery_id, task=gateway_delivery_process_task),
            )

        view = [
            "payments.view_payment",
            "payments.view_paymentproof",
            "payments.view_statementimport",
            "payments.view_statementline",
            "payments.view_journalentry",
            "payments.view_refund",
            "payments.view_settlementimport",
            "payments.view_codremittance",
        ]
        money = ["payments.manage_payments", "payments.import_statements", "payments.add_refund",
                 "payments.accept_short_payment"]
        # Finance (and Owner, who holds everything) do money actions; Admin and CS only look.
        roles.grant_many([roles.FINANCE], [*view, *money])
        roles.grant_many([roles.ADMIN, roles.CUSTOMER_SERVICE], ["payments.view_payment"])

        links = [
            (_("Payments overview"), "payments:index", "payments.view_payment", 10),
            (_("All payments"), "payments:list", "payments.view_payment", 20),
            (_("Proofs to verify"), "payments:proofs", "payments.manage_payments", 30),
            (_("Reconciliation"), "payments:reconcile", "payments.manage_payments", 40),
            (_("Bank statements"), "payments:imports", "payments.import_statements", 50),
            (_("Marketplace settlements"), "payments:settlements", "payments.import_statements", 60),
            (_("COD remittances"), "payments:cod", "payments.import_statements", 70),
            (_("Journal"), "payments:journal", "payments.view_journalentry", 80),
        ]
        for title, url_name, perm, order in links:
            register_link(NavLink("payments", title, url_name, permission=perm, order=order))

        queues = [
            ("payments.proofs", _("Proofs of transfer to verify"), "payments:proofs", "",
             lambda: selectors.proofs_to_verify().count(), False, 10),
            ("payments.unmatched", _("Unmatched bank credits"), "payments:reconcile", f"status={LineMatch.UNMATCHED}",
             lambda: selectors.open_lines(LineMatch.UNMATCHED).count(), False, 20),
            ("payments.ambiguous", _("Ambiguous matches"), "payments:reconcile", f"status={LineMatch.AMBIGUOUS}",
             lambda: selectors.open_lines(LineMatch.AMBIGUOUS).count(), True, 30),
            ("payments.needs_review", _("Payments needing review"), "payments:list", "status=needs_review",
             lambda: selectors.needs_review_payments().count(), True, 40),
            ("payments.overdue", _("Overdue unpaid orders"), "payments:overdue", "",
             lambda: selectors.overdue_orders().count(), False, 50),
            ("payments.unsettled", _("Unsettled marketplace orders"), "payments:settlements", "",
             lambda: selectors.unsettled_marketplace_payments().count(), False, 60),
            ("payments.cod", _("COD not yet remitted"), "payments:cod", "",
             lambda: selectors.outstanding_cod_payments().count(), False, 70),
            ("payments.refunds_due", _("Cancelled orders with money to refund"), "payments:list",
             "queue=refunds_due", lambda: selectors.refunds_due().count(), True, 80),
        ]
        for key, title, url_name, query, count, danger, order in queues:
            register_queue(WorkQueue(key=key, stage="payments", title=title, url_name=url_name, url_query=query,
                                     count=count, permission="payments.manage_payments", danger=danger, order=order))

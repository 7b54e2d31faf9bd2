"""Write side of payments. Public services (keyword-only):

payments.services.opening: payment_open (kode unik), payment_method_for_order
payments.services.transitions: payment_mark_paid, payment_receive, payment_flag_for_review,
    payment_accept_short, payment_mark_failed, payment_expire; the money-in planner and writer shared
    by single and batch paths: plan_payment_transition (plan_payment_paid, plan_payment_flagged) and
    payments_write
payments.services.refunds: refund_create
payments.services.hooks: on_order_created, on_orders_status_changed (registered with orders.hooks)
payments.services.order_sync: orders_payment_sync_many (order_payment_sync is its batch of one),
    expire_overdue
payments.services.payments: all of the above by the module name callers know
payments.services.journal: journal_post_many (set-based) and its batch-of-one helpers
payments.services.statements: statement_import_create, statement_import_run, statement_lines_match,
    statement_line_match, statement_line_split, statement_line_mark_not_ours
payments.services.proofs: proof_upload, proof_approve, proof_reject
payments.services.gateways: midtrans_signature, gateway_delivery_process
payments.services.settlements: settlement_import, cod_remittance_import
"""

"""Write side of payments. Public services (keyword-only):

payments.services.payments: payment_open, payment_mark_paid, payment_receive, payment_flag_for_review,
    payment_mark_failed, payment_expire, refund_create, order_payment_sync, expire_overdue
payments.services.statements: statement_import_create, statement_import_run, statement_lines_match,
    statement_line_match, statement_line_split, statement_line_mark_not_ours
payments.services.proofs: proof_upload, proof_approve, proof_reject
payments.services.gateways: midtrans_signature, gateway_delivery_process
payments.services.settlements: settlement_import, cod_remittance_import
"""

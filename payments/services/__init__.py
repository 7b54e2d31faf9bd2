"""Write side of payments, one module per concern (services keyword-only): opening (payment_open),
transitions (planners, `payments_write`, one service per transition), refunds, hooks (order
lifecycle), order_sync (orders forward, expiry), journal (`journal_post_many`), statements,
proofs, gateways, settlements. Callers import from the module of the concern."""

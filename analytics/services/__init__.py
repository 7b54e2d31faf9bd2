"""Analytics writes: rollup maintenance, the seller's inputs (visits, spend, change log), the customer model."""

from analytics.services.inputs import change_record, spend_set, visits_import, visits_set

__all__ = ["change_record", "spend_set", "visits_import", "visits_set"]

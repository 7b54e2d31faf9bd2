"""CustomerSegmentSummary (the RFM segment sums written by the nightly customer model, filled from the
current scores) and covering indexes for the customers report's warehouse and province filters."""

from django.db import migrations, models


# The same statement as `analytics.services.customer_model.SEGMENT_SUMMARY_SQL` (copied: a migration
# must not change when the service does), so the report shows the same figures before the next fit.
BACKFILL = """
    INSERT INTO analytics_customersegmentsummary
        (segment, customers, historical_value_amount, predicted_value_amount, probability_alive_sum)
    SELECT CASE WHEN GROUPING(segment) = 1 THEN '' ELSE segment END, COUNT(*),
           COALESCE(SUM(historical_value_amount), 0), COALESCE(SUM(predicted_value_amount), 0),
           COALESCE(SUM(probability_alive), 0)
    FROM analytics_customerscore GROUP BY GROUPING SETS ((segment), ())
"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_dispatch_rollups"),
    ]

    operations = [
        migrations.CreateModel(
            name="CustomerSegmentSummary",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "segment",
                    models.CharField(
                        blank=True, help_text="Empty for the row over all customers.", max_length=20, unique=True
                    ),
                ),
                ("customers", models.IntegerField()),
                ("historical_value_amount", models.BigIntegerField()),
                ("predicted_value_amount", models.BigIntegerField()),
                (
                    "probability_alive_sum",
                    models.DecimalField(decimal_places=4, help_text="Divide by customers for the mean.", max_digits=16),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="orderfact",
            index=models.Index(
                condition=models.Q(("customer_id__isnull", False), ("orders", 1)),
                fields=["warehouse_id", "day"],
                include=("customer_id", "channel_id", "new_customers", "next_day"),
                name="orderfact_warehouse_activity",
            ),
        ),
        migrations.AddIndex(
            model_name="orderfact",
            index=models.Index(
                condition=models.Q(("customer_id__isnull", False), ("orders", 1)),
                fields=["province", "day"],
                include=("customer_id", "channel_id", "new_customers", "next_day"),
                name="orderfact_province_activity",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]

"""The customer model: BG/NBD matches the published CDNOW fit, RFM segments, churn risk on the shop."""

from __future__ import annotations

import pytest

from analytics.models import CustomerScore, ModelFit
from analytics.services.customer_model import customer_model_fit, rfm_segment
from analytics.services.rollups import rollup_refresh


def test_bg_nbd_reproduces_the_published_cdnow_parameters():
    """Fader, Hardie & Lee (2005), CDNOW sample: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426."""
    from lifetimes import BetaGeoFitter
    from lifetimes.datasets import load_cdnow_summary

    data = load_cdnow_summary(index_col=[0])
    grouped = data.groupby(["frequency", "recency", "T"]).size().reset_index(name="weight")
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.fit(grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["weight"])
    assert fitter.params_["r"] == pytest.approx(0.243, abs=0.001)
    assert fitter.params_["alpha"] == pytest.approx(4.414, abs=0.01)
    assert fitter.params_["a"] == pytest.approx(0.793, abs=0.002)
    assert fitter.params_["b"] == pytest.approx(2.426, abs=0.01)


def test_gamma_gamma_reproduces_the_published_cdnow_parameters():
    """Fader & Hardie (2013), CDNOW repeat buyers: p = 6.25, q = 3.74, v = 15.44."""
    from lifetimes import GammaGammaFitter
    from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value

    data = load_cdnow_summary_data_with_monetary_value()
    repeat = data[data["frequency"] > 0]
    fitter = GammaGammaFitter(penalizer_coef=0.0)
    fitter.fit(repeat["frequency"], repeat["monetary_value"])
    assert fitter.params_["p"] == pytest.approx(6.25, abs=0.05)
    assert fitter.params_["q"] == pytest.approx(3.74, abs=0.05)
    assert fitter.params_["v"] == pytest.approx(15.44, abs=0.1)


@pytest.mark.parametrize(("r", "f", "segment"), [
    (5, 5, "champions"), (4, 4, "loyal"), (5, 2, "potential_loyalist"), (5, 1, "new"), (4, 1, "promising"),
    (3, 3, "need_attention"), (3, 1, "about_to_sleep"), (1, 5, "cannot_lose"), (2, 3, "at_risk"),
    (1, 1, "hibernating"),
])
def test_rfm_grid_names_the_segments(r, f, segment):
    assert rfm_segment(r, f) == segment


@pytest.mark.django_db
def test_the_nightly_fit_scores_every_customer_and_flags_overdue_ones(shop):
    import time_machine

    from tests.analytics.conftest import WIB

    rollup_refresh()
    from datetime import datetime

    with time_machine.travel(datetime(2026, 6, 1, 2, 0, tzinfo=WIB), tick=False):
        result = customer_model_fit()
    # budi, siti, andi, dewi have kept orders; too few to fit the model, RFM and churn still computed
    assert result.customers == 4 and "too few" in result.error
    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    budi = scores[shop.orders["o1"].customer_id]
    # three orders on two days (1 March twice, 7 March): one repeat purchase period, 6 days apart
    assert budi.frequency == 1 and budi.historical_value_amount > 0
    assert budi.expected_interval_days == 6 and budi.recency_days == (datetime(2026, 6, 1) - datetime(2026, 3, 7)).days
    assert budi.churn_risk and budi.overdue_days == budi.recency_days - 6
    assert ModelFit.objects.get().customers == 4


@pytest.mark.django_db
def test_the_segment_table_and_cltv_averages_are_the_sums_of_the_scores_written_by_the_fit(shop):
    import time_machine
    from django.db.models import Avg, Count, Sum

    from analytics.filters import ReportFilters
    from analytics.models import CustomerSegmentSummary
    from analytics.reports import report_build
    from core.money import divide_idr, ratio_percent
    from tests.analytics.conftest import RANGE, WIB

    rollup_refresh()
    from datetime import datetime

    with time_machine.travel(datetime(2026, 6, 1, 2, 0, tzinfo=WIB), tick=False):
        customer_model_fit()
        customer_model_fit()  # the nightly run replaces the summary, it does not add to it
    assert CustomerSegmentSummary.objects.get(segment="").customers == 4

    report = report_build(name="customers", filters=ReportFilters(start=RANGE[0], end=RANGE[1]))
    labels = dict(CustomerScore.Segment.choices)
    expected = {
        str(labels[row["segment"]]): row
        for row in CustomerScore.objects.values("segment").annotate(
            n=Count("pk"), hist=Sum("historical_value_amount"), alive=Avg("probability_alive"))
    }
    rows = report.table("rfm_segments").rows
    assert {r["segment"]: (r["customers"], r["historical_value_amount"], r["probability_alive"]) for r in rows} == {
        name: (e["n"], e["hist"], ratio_percent(e["alive"], 1)) for name, e in expected.items()
    }
    assert [r["customers"] for r in rows] == sorted((r["customers"] for r in rows), reverse=True)
    overall = CustomerScore.objects.aggregate(hist=Sum("historical_value_amount"), alive=Avg("probability_alive"))
    assert report.kpi("cltv_historical").value == divide_idr(overall["hist"], 4)
    assert report.kpi("p_alive").value == ratio_percent(overall["alive"], 1)

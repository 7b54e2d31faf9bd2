"""Feedback analysis: what to fix, grouped by product, channel and courier.

Reads cases (by category), returns (by reason), reviews (ratings) and survey answers (CSAT % =
share of 4-5; NPS = % promoters 9-10 minus % detractors 0-6), and the most frequent terms of the
customers' own words in Bahasa Indonesia: Sastrawi's stemmer (PySastrawi) folds "pengirimannya",
"dikirim" and "kirim" into one term; stop words are the union of PySastrawi's list and the
stopwords-iso list for Indonesian (registry packages, not a hand-made list).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.db.models import Avg, Count, F, Q

from aftersales.models import Case, CaseLine, ReturnLine, Review, SurveyKind, SurveyResponse

GROUPS = ("product", "channel", "courier")
MAX_TEXTS = 3000
TOKEN = re.compile(r"[a-zA-Z]{3,}")


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    import stopwordsiso
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    words = set(StopWordRemoverFactory().get_stop_words()) | set(stopwordsiso.stopwords("id"))
    return frozenset(w.lower() for w in words)


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    return _stemmer().stem(word)


def terms_of(text: str) -> list[str]:
    """The stemmed content words of a text (stop words removed before and after stemming)."""
    stops = stop_words()
    found = []
    for word in TOKEN.findall((text or "").lower()):
        if word in stops:
            continue
        stem = _stem(word)
        if len(stem) >= 3 and stem not in stops:
            found.append(stem)
    return found


def top_terms(texts: list[str], *, limit: int = 20, examples: int = 3) -> list[dict]:
    """The most frequent terms (counted once per text), each with a few example texts."""
    counts: Counter[str] = Counter()
    samples: dict[str, list[str]] = defaultdict(list)
    for text in texts[:MAX_TEXTS]:
        for term in set(terms_of(text)):
            counts[term] += 1
            if len(samples[term]) < examples:
                samples[term].append(text[:200])
    return [{"term": term, "count": n, "examples": samples[term]} for term, n in counts.most_common(limit)]


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def csat_percent(scores: list[int]) -> Decimal | None:
    return _percent(sum(1 for s in scores if s >= 4), len(scores))


def nps(scores: list[int]) -> Decimal | None:
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= 9)
    detractors = sum(1 for s in scores if s <= 6)
    return _percent(promoters - detractors, len(scores))


_LINE_GROUP = {
    "product": ("order_line__variant__product__name", "order_line__variant__product_id"),
    "channel": ("order_line__order__channel__name", "order_line__order__channel_id"),
    "courier": ("order_line__order__courier", "order_line__order__courier"),
}
_ORDER_GROUP = {
    "product": None,
    "channel": ("order__channel__name", "order__channel_id"),
    "courier": ("order__courier", "order__courier"),
}


def feedback_summary(*, date_from: datetime, date_to: datetime, group: str = "product") -> dict:
    """Everything the feedback page shows for the period, grouped by `group`."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    label, _key = _LINE_GROUP[group]
    period = {"created_at__gte": date_from, "created_at__lt": date_to}

    case_rows = (CaseLine.objects.filter(**{f"case__{k}": v for k, v in period.items()})
                 .values(name=F(label), category=F("case__category")).annotate(n=Count("case", distinct=True)))
    cases: dict[str, Counter] = defaultdict(Counter)
    for row in case_rows:
        cases[row["name"] or "-"][row["category"]] += row["n"]
    if group != "product":  # cases without lines still count by their order
        olabel, _okey = _ORDER_GROUP[group]
        for row in (Case.objects.filter(**period, lines__isnull=True).exclude(order=None)
                    .values(name=F(olabel), cat=F("category")).annotate(n=Count("id"))):
            cases[row["name"] or "-"][row["cat"]] += row["n"]

    return_rows = (ReturnLine.objects.filter(**{f"return_request__{k}": v for k, v in period.items()})
                   .values(name=F(label), reason=F("return_request__reason")).annotate(units=Count("id")))
    returns: dict[str, Counter] = defaultdict(Counter)
    for row in return_rows:
        returns[row["name"] or "-"][row["reason"]] += row["units"]

    review_label = {"product": "product__name", "channel": "order__channel__name", "courier": "order__courier"}[group]
    reviews = {
        (row["name"] or "-"): {"count": row["n"], "average": row["avg"], "low": row["low"]}
        for row in Review.objects.filter(reviewed_at__gte=date_from, reviewed_at__lt=date_to)
        .values(name=F(review_label))
        .annotate(n=Count("id"), avg=Avg("rating"), low=Count("id", filter=Q(rating__lte=2)))
    }

    survey_label = {"product": None, "channel": "order__channel__name", "courier": "order__courier"}[group]
    surveys: dict[str, dict] = defaultdict(lambda: {"csat": [], "nps": []})
    answers = SurveyResponse.objects.filter(answered_at__gte=date_from, answered_at__lt=date_to)
    for row in answers.values("kind", "score", *( [survey_label] if survey_label else [])):
        name = (row.get(survey_label) if survey_label else None) or ("-" if survey_label else "all")
        surveys[name]["nps" if row["kind"] == SurveyKind.NPS else "csat"].append(row["score"])

    names = sorted(set(cases) | set(returns) | set(reviews) | set(surveys))
    rows = []
    for name in names:
        s = surveys.get(name, {"csat": [], "nps": []})
        rows.append({
            "name": name,
            "cases": dict(cases.get(name, {})),
            "case_total": sum(cases.get(name, Counter()).values()),
            "returns": dict(returns.get(name, {})),
            "return_units": sum(returns.get(name, Counter()).values()),
            "reviews": reviews.get(name),
            "csat": csat_percent(s["csat"]), "csat_answers": len(s["csat"]),
            "nps": nps(s["nps"]), "nps_answers": len(s["nps"]),
        })
    rows.sort(key=lambda r: (-(r["case_total"] + r["return_units"]), r["name"]))

    texts = list(Case.objects.filter(**period).exclude(description="").values_list("description", flat=True)
                 .order_by("-created_at")[:MAX_TEXTS])
    texts += list(Review.objects.filter(reviewed_at__gte=date_from, reviewed_at__lt=date_to, rating__lte=3)
                  .exclude(text="").values_list("text", flat=True)[:MAX_TEXTS])
    texts += list(answers.exclude(comment="").values_list("comment", flat=True)[:MAX_TEXTS])
    all_scores = list(answers.values_list("kind", "score"))
    return {
        "group": group,
        "rows": rows,
        "terms": top_terms(texts),
        "csat": csat_percent([s for k, s in all_scores if k != SurveyKind.NPS]),
        "nps": nps([s for k, s in all_scores if k == SurveyKind.NPS]),
        "answers": len(all_scores),
    }

"""DRF plug-ins named in REST_FRAMEWORK settings (a module of their own: DRF imports these while
its settings are being read, so they must not import core.api, which imports DRF's views)."""

from __future__ import annotations

from django_filters.rest_framework import BooleanFilter, DjangoFilterBackend
from rest_framework import exceptions, parsers

from core import untrusted


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with core.untrusted's checks: nesting deeper than 32 levels (a
    RecursionError in json), NUL characters and lone surrogates (PostgreSQL cannot store them)
    are a 400 before any serializer runs."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            return untrusted.load_json(body)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None



class JSONBodyOnly:
    """For API views whose input a form body cannot carry (set with `parser_classes = [JSONParser]`):
    any other body is a 415. DRF alone answers a multipart body with empty data, not a 415, once
    authentication has read the form (the session's CSRF check reads request.POST), so an empty
    form would pass as "nothing given"."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        media_type = (request.content_type or "").split(";")[0].strip().lower()
        has_body = int(request.META.get("CONTENT_LENGTH") or 0) > 0
        if request.method in {"POST", "PUT", "PATCH"} and has_body and media_type != "application/json":
            raise exceptions.UnsupportedMediaType(media_type)

def refuse_blank_params(query_params, names) -> None:
    """400 for a filter given with an empty value (?status=): DRF and django-filter would read it
    as "no filter" and answer as if it were absent, which hides a client's mistake."""
    blank = [name for name in names if name in query_params and not query_params.get(name, "").strip()]
    if blank:
        raise exceptions.ValidationError({name: ["This filter may not be empty."] for name in blank})


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing declared filters given empty (see refuse_blank_params) and
    boolean filters given anything but true/false (the schema's boolean; "1" or "yes" was read as
    true and "2" as no filter at all)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            refuse_blank_params(request.query_params, filterset_class.base_filters)
            wrong = [
                name for name, declared in filterset_class.base_filters.items()
                if isinstance(declared, BooleanFilter) and name in request.query_params
                and request.query_params.get(name) not in ("true", "false")
            ]
            if wrong:
                raise exceptions.ValidationError({name: ["Use true or false."] for name in wrong})
        return super().filter_queryset(request, queryset, view)

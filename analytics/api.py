"""Reports API: GET /api/v1/reports/<name>/ with the report pages' filters, as JSON."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.filters import filters_from_query
from analytics.reports import REPORTS, report_build
from core.permissions import IsStaffMember
from core.untrusted import BIGINT_MAX


class KPISerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["money", "number", "percent", "text", "days", "hours", "decimal"])
    value = serializers.JSONField(allow_null=True, help_text="Money in whole rupiah; percentages as numbers.")
    previous = serializers.JSONField(allow_null=True, help_text="The period of the same length just before.")
    last_year = serializers.JSONField(allow_null=True, help_text="The same dates a year earlier.")


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(child=serializers.DictField())


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    available = serializers.BooleanField()
    message = serializers.CharField()


class FiltersSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    channel_id = serializers.IntegerField(allow_null=True)
    product_id = serializers.IntegerField(allow_null=True)
    category = serializers.CharField(allow_blank=True)
    warehouse_id = serializers.IntegerField(allow_null=True)
    province = serializers.CharField(allow_blank=True)
    city = serializers.CharField(allow_blank=True)
    granularity = serializers.CharField()


class ReportOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    filters = FiltersSerializer()
    kpis = KPISerializer(many=True)
    tables = TableSerializer(many=True)
    sections = SectionSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": BIGINT_MAX}
FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (Asia/Jakarta); default 29 days before end."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive; default today."),
    OpenApiParameter("channel", ID_SCHEMA), OpenApiParameter("product", ID_SCHEMA),
    OpenApiParameter("category", OpenApiTypes.STR), OpenApiParameter("warehouse", ID_SCHEMA),
    OpenApiParameter("province", OpenApiTypes.STR), OpenApiParameter("city", OpenApiTypes.STR),
    OpenApiParameter("granularity", OpenApiTypes.STR, enum=["day", "week", "month"]),
]


class ReportApi(APIView):
    """One report. Money reports (sales, profit, customers, conversion, acquisition, changes) need the
    Finance or Owner role; operations and inventory are open to every staff role that sees operations."""

    permission_classes = [IsStaffMember]

    @extend_schema(
        operation_id="report_retrieve",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(REPORTS)),
                    *FILTER_PARAMETERS],
        responses={200: ReportOutputSerializer},
    )
    def get(self, request, name: str):
        spec = REPORTS.get(name)
        if spec is None:
            raise NotFound(f"No report named {name[:40]!r}; reports: {', '.join(REPORTS)}.")
        if not request.user.has_perm(spec.permission):
            raise PermissionDenied("Your role does not allow this report.")
        filters, errors = filters_from_query(request.query_params)
        if filters is None:
            raise ValidationError(errors)
        report = report_build(name=name, filters=filters)
        data = {
            "name": report.name, "title": str(report.title), "filters": filters.__dict__,
            "kpis": [{"key": k.key, "label": str(k.label), "kind": k.kind, "value": k.value, "previous": k.previous,
                      "last_year": k.last_year} for k in report.kpis],
            "tables": [{"key": t.key, "title": str(t.title),
                        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in t.columns],
                        "rows": t.rows} for t in report.tables],
            "sections": [{"key": s.key, "title": str(s.title), "available": s.available, "message": str(s.message)}
                         for s in report.sections],
            "notes": [str(n) for n in report.notes],
        }
        return Response(ReportOutputSerializer(data).data)

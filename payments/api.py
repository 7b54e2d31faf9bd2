"""REST API for payments: /api/v1/payments/, statement imports and refunds.

Reading needs `payments.view_payment`; importing statements `payments.import_statements`;
refunds `payments.manage_payments` (Finance and Owner). Serializers validate, services write.
"""

from __future__ import annotations

import json

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import IdField
from core.drf import JSONParser
from core.errors import DomainError, NotFound
from core.permissions import HasPerms
from core.serializers import MoneyField
from core.untrusted import parse_id
from payments import conf
from payments.models import Payment, PaymentMethod, PaymentStatus, Refund, StatementImport
from payments.services import statements as statement_services
from payments.services.refunds import refund_create


def _validation_error(exc: DomainError, *, fields: tuple[str, ...]) -> serializers.ValidationError:
    """A 400 DomainError from a service, as the API's usual field errors."""
    detail = exc.detail or {}
    if isinstance(detail.get("fields"), dict):
        return serializers.ValidationError(detail["fields"])
    named = {key: [exc.message] for key in detail if key in fields}
    return serializers.ValidationError(named or {"non_field_errors": [exc.message]})


class PaymentSerializer(serializers.ModelSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    order_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id", "reference", "order_id", "order_number", "method", "provider", "status", "base_amount",
            "unique_code", "match_by_order_number", "amount", "received_amount", "fee_amount", "refunded_amount",
            "provider_reference", "expires_at", "paid_at", "created_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(parameters=[
        OpenApiParameter("order", str, description="Order id or order number"),
        OpenApiParameter("status", str, enum=PaymentStatus.values),
        OpenApiParameter("method", str, enum=PaymentMethod.values),
    ])
)
class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer
    permission_classes = [HasPerms]
    required_perms = ("payments.view_payment",)
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        qs = Payment.objects.select_related("order").order_by("-created_at", "-id")
        params = self.request.query_params
        order = params.get("order", "").strip()
        if order:
            order_id = parse_id(order)
            qs = qs.filter(Q(order__number=order) | Q(order_id=order_id)) if order_id else qs.filter(
                order__number=order)
        for name, choices in (("status", PaymentStatus.values), ("method", PaymentMethod.values)):
            if name in params:  # present means one of the choices (an empty value too is refused)
                value = params.get(name, "").strip()
                if value not in choices:
                    raise serializers.ValidationError({name: [f"must be one of {', '.join(choices)}"]})
                qs = qs.filter(**{name: value})
        return qs


class StatementImportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = StatementImport
        fields = [
            "id", "filename", "format", "bank_account", "column_mapping", "status", "percent", "rows_total",
            "rows_parsed", "rows_new", "rows_duplicate", "rows_credit", "rows_matched", "rows_ambiguous",
            "rows_left", "error", "created_at", "started_at", "finished_at",
        ]
        read_only_fields = fields


class StatementImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    format = serializers.ChoiceField(choices=StatementImport.Format.choices)
    bank_account = IdField(required=False, allow_null=True, default=None)
    column_mapping = serializers.JSONField(required=False, default=dict,
                                           help_text='Generic CSV: {"date": "Tanggal", "amount": "Nominal", ...}')

    def validate_file(self, value):
        if value.size > conf.statement_max_bytes():
            raise serializers.ValidationError("The file is too large.")
        return value

    def validate_column_mapping(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value or "{}")
            except ValueError:
                raise serializers.ValidationError("Not valid JSON.") from None
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be an object.")
        return value


class StatementImportViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             viewsets.GenericViewSet):
    """Upload a statement (202: imported in the background); poll the job for progress."""

    serializer_class = StatementImportSerializer
    permission_classes = [HasPerms]
    required_perms = ("payments.import_statements",)
    upload_max_bytes = staticmethod(conf.statement_max_bytes)  # core.middleware: 413 past it, body never read
    parser_classes = [MultiPartParser, FormParser]
    queryset = StatementImport.objects.order_by("-created_at", "-id")
    filter_backends: list = []

    @extend_schema(request=StatementImportInputSerializer, responses={202: StatementImportSerializer})
    def create(self, request, *args, **kwargs):
        repeated = [key for key in getattr(request.data, "lists", lambda: [])() if len(key[1]) > 1]
        if repeated:
            raise serializers.ValidationError({key: ["Send this field once."] for key, _values in repeated})
        data = StatementImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            job = statement_services.statement_import_create(
                data=values["file"].read(), filename=values["file"].name, fmt=values["format"],
                bank_account_id=values["bank_account"], column_mapping=values["column_mapping"], actor=request.user,
            )
        except DomainError as exc:
            if exc.http_status != 400:
                raise
            raise _validation_error(exc, fields=("file", "format", "bank_account", "column_mapping")) from None
        job.refresh_from_db()
        return Response(StatementImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "payment", "order", "amount", "kind", "reason", "reference", "created_at"]
        read_only_fields = fields


class RefundInputSerializer(serializers.Serializer):
    payment = IdField()
    amount = MoneyField(min_value=1, help_text="Whole rupiah")
    kind = serializers.ChoiceField(choices=Refund.Kind.choices)
    reason = serializers.CharField(max_length=2000)
    reference = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class RefundViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = RefundSerializer
    permission_classes = [HasPerms]
    required_perms = ("payments.view_refund",)
    write_perms = ("payments.manage_payments", "payments.add_refund")
    parser_classes = [JSONParser, FormParser]
    queryset = Refund.objects.order_by("-created_at", "-id")
    filter_backends: list = []

    @extend_schema(request=RefundInputSerializer, responses={201: RefundSerializer})
    def create(self, request, *args, **kwargs):
        data = RefundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not Payment.objects.filter(pk=values["payment"]).exists():
            raise NotFound("Payment not found.")
        try:
            refund = refund_create(
                payment_id=values["payment"], amount=values["amount"], kind=values["kind"], reason=values["reason"],
                reference=values["reference"], actor=request.user, source="api",
            )
        except DomainError as exc:
            if exc.http_status != 400:
                raise
            raise _validation_error(exc, fields=("payment", "amount", "kind", "reason", "reference")) from None
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

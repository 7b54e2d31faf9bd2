"""REST API of the CRM: /api/v1/customers/{id}/profile|timeline|tags|notes|consents|export|erase/,
/api/v1/customers/merge/, /api/v1/vouchers/, /api/v1/loyalty/{customer_id}/ (+ adjust/).

The customer list and detail stay orders' (/api/v1/customers/ and /api/v1/customers/{id}/).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from core.permissions import HasPerms
from core.serializers import IdField, MoneyField
from customers import selectors
from customers.models import CustomerNote, PointsEntry, Voucher
from customers.services import loyalty, merge, privacy, profile, vouchers
from notifications.consent import consent_record, consent_state
from notifications.models import ConsentPurpose, ConsentSource
from orders.api import ERROR_BODY
from orders.models import Customer


def _customer(pk: int) -> Customer:
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise NotFound(f"Customer {pk} does not exist.")
    return customer


class ProfileOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    city = serializers.CharField()
    order_count = serializers.IntegerField()
    lifetime_spend = serializers.IntegerField()
    last_order_at = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    points = serializers.IntegerField()
    tier = serializers.CharField(allow_null=True)


class TimelineItemOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    amount = serializers.IntegerField(allow_null=True)


class TagsInput(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=40), max_length=30)


class CustomerNoteInput(serializers.Serializer):
    body = serializers.CharField(max_length=3000)
    pinned = serializers.BooleanField(required=False, default=False)


class CustomerNoteOutput(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    pinned = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class ConsentInput(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    source = serializers.ChoiceField(choices=ConsentSource.choices)
    proof = serializers.CharField(max_length=2000)


class ConsentOutput(serializers.Serializer):
    purpose = serializers.CharField()
    granted = serializers.BooleanField()
    # null while nothing was ever recorded for the purpose (the default applies)
    source = serializers.CharField(source="record.source", default=None, allow_null=True)
    recorded_at = serializers.DateTimeField(source="record.recorded_at", default=None, allow_null=True)
    honour_by = serializers.DateTimeField(source="record.honour_by", default=None, allow_null=True)


class MergeInput(serializers.Serializer):
    keep_id = IdField()
    duplicate_id = IdField()


class MergeOutput(serializers.Serializer):
    target_id = serializers.IntegerField()
    source_id = serializers.IntegerField()
    moved = serializers.DictField(child=serializers.IntegerField())


class EraseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class _CustomerApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("orders.view_customer",)


class ProfileApi(_CustomerApi):
    @extend_schema(summary="A customer's CRM profile: figures, tags, points, tier",
                   responses={200: ProfileOutput, 404: ERROR_BODY})
    def get(self, request, pk: int):
        customer = selectors.customer_profile(customer_id=pk)
        if customer is None:
            raise NotFound(f"Customer {pk} does not exist.")
        tier = loyalty.tier_for(customer_id=pk)
        customer.tags = list(customer.crm_tags.values_list("tag", flat=True))
        customer.points = loyalty.points_balance(customer_id=pk)
        customer.tier = tier.name if tier else None
        return Response(ProfileOutput(customer).data)


class TimelineApi(_CustomerApi):
    @extend_schema(summary="Orders, payments, shipments, cases, returns, reviews, surveys and points, newest first",
                   responses={200: TimelineItemOutput(many=True), 404: ERROR_BODY})
    def get(self, request, pk: int):
        _customer(pk)
        return Response(TimelineItemOutput(selectors.customer_timeline(customer_id=pk), many=True).data)


class TagsApi(_CustomerApi):
    write_perms = ("customers.manage_crm",)

    @extend_schema(summary="Replace the customer's tags", request=TagsInput, responses={200: TagsInput})
    def put(self, request, pk: int):
        _customer(pk)
        data = TagsInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"tags": profile.customer_tags_set(customer_id=pk, tags=data.validated_data["tags"])})


class NotesApi(_CustomerApi):
    write_perms = ("customers.manage_crm",)

    @extend_schema(summary="The customer's notes", responses={200: CustomerNoteOutput(many=True)})
    def get(self, request, pk: int):
        return Response(CustomerNoteOutput(CustomerNote.objects.filter(customer=_customer(pk)), many=True).data)

    @extend_schema(summary="Add a note", request=CustomerNoteInput,
                   responses={201: CustomerNoteOutput, 400: ERROR_BODY})
    def post(self, request, pk: int):
        _customer(pk)
        data = CustomerNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = profile.customer_note_add(customer_id=pk, actor=request.user, **data.validated_data)
        return Response(CustomerNoteOutput(note).data, status=201)


class ConsentsApi(_CustomerApi):
    write_perms = ("notifications.record_consent",)

    @extend_schema(summary="Consent per purpose (UU PDP)", responses={200: ConsentOutput(many=True)})
    def get(self, request, pk: int):
        _customer(pk)
        return Response(ConsentOutput(consent_state(customer_id=pk), many=True).data)

    @extend_schema(summary="Record a grant or a withdrawal, with its proof", request=ConsentInput,
                   responses={201: ConsentOutput(many=True), 400: ERROR_BODY})
    def post(self, request, pk: int):
        _customer(pk)
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        consent_record(customer_id=pk, actor=request.user, ip_address=request.META.get("REMOTE_ADDR") or None,
                       **data.validated_data)
        return Response(ConsentOutput(consent_state(customer_id=pk), many=True).data, status=201)


class ExportApi(_CustomerApi):
    required_perms = ("orders.view_customer", "customers.manage_crm")

    @extend_schema(summary="Everything held about the customer (UU PDP access request)",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, pk: int):
        return Response(privacy.customer_data_export(customer_id=pk))


class EraseApi(_CustomerApi):
    write_perms = ("customers.erase_customer",)

    @extend_schema(summary="Erase the customer's personal data; orders are kept for bookkeeping",
                   request=EraseInput, responses={200: OpenApiTypes.OBJECT, 404: ERROR_BODY})
    def post(self, request, pk: int):
        data = EraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(privacy.customer_erase(customer_id=pk, actor=request.user,
                                               reason=data.validated_data["reason"]))


class MergeApi(_CustomerApi):
    write_perms = ("customers.manage_crm",)

    @extend_schema(summary="Merge a duplicate customer into the kept one (every row moves)", request=MergeInput,
                   responses={200: MergeOutput, 400: ERROR_BODY, 404: ERROR_BODY})
    def post(self, request):
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        record = merge.customer_merge(source_id=data.validated_data["duplicate_id"],
                                      target_id=data.validated_data["keep_id"], actor=request.user)
        return Response(MergeOutput(record).data)


# --- vouchers ----------------------------------------------------------------------------------


class VoucherOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    value_amount = serializers.IntegerField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_discount_amount = serializers.IntegerField(allow_null=True)
    min_spend_amount = serializers.IntegerField()
    total_limit = serializers.IntegerField(allow_null=True)
    per_customer_limit = serializers.IntegerField(allow_null=True)
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    customer_id = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()


class VoucherInput(serializers.Serializer):
    code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Voucher.Kind.choices)
    value_amount = MoneyField(required=False, default=0)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                       default=0)
    max_discount_amount = MoneyField(min_value=1, required=False, allow_null=True, default=None)
    min_spend_amount = MoneyField(required=False, default=0)
    total_limit = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False, allow_null=True,
                                           default=None)
    per_customer_limit = serializers.IntegerField(min_value=1, max_value=10_000, required=False, allow_null=True,
                                                  default=1)
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    customer_id = IdField(required=False, allow_null=True, default=None)


@extend_schema_view(
    list=extend_schema(summary="Vouchers", responses={200: VoucherOutput(many=True)}),
    retrieve=extend_schema(summary="One voucher", responses={200: VoucherOutput, 404: ERROR_BODY}),
)
class VoucherViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasPerms]
    required_perms = ("customers.view_voucher",)
    write_perms = ("customers.manage_marketing",)
    serializer_class = VoucherOutput
    queryset = Voucher.objects.all()
    filter_backends: list = []

    @extend_schema(summary="Create a voucher (own channels only)", request=VoucherInput,
                   responses={201: VoucherOutput, 400: ERROR_BODY})
    def create(self, request):
        data = VoucherInput(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = vouchers.voucher_create(**data.validated_data, actor=request.user)
        return Response(VoucherOutput(voucher).data, status=201)

    @extend_schema(summary="Deactivate", request=None, responses={200: VoucherOutput})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return Response(VoucherOutput(vouchers.voucher_deactivate(voucher_id=self.get_object().pk)).data)


# --- loyalty -----------------------------------------------------------------------------------


class PointsEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    points = serializers.IntegerField()
    order_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class LoyaltyOutput(serializers.Serializer):
    customer_id = serializers.IntegerField()
    points = serializers.IntegerField()
    points_value_amount = serializers.IntegerField()
    tier = serializers.CharField(allow_null=True)
    spend_12_months_amount = serializers.IntegerField()
    entries = PointsEntryOutput(many=True)


class AdjustInput(serializers.Serializer):
    points = serializers.IntegerField(min_value=-10**7, max_value=10**7)
    note = serializers.CharField(max_length=255)


class LoyaltyApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("orders.view_customer",)

    @extend_schema(summary="A customer's points balance, tier and ledger", responses={200: LoyaltyOutput,
                                                                                        404: ERROR_BODY})
    def get(self, request, customer_id: int):
        _customer(customer_id)
        return Response(_loyalty(customer_id))


class LoyaltyAdjustApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("orders.view_customer", "customers.manage_marketing")

    @extend_schema(summary="Adjust points (with a reason)", request=AdjustInput,
                   responses={200: LoyaltyOutput, 400: ERROR_BODY})
    def post(self, request, customer_id: int):
        _customer(customer_id)
        data = AdjustInput(data=request.data)
        data.is_valid(raise_exception=True)
        loyalty.points_adjust(customer_id=customer_id, actor=request.user, **data.validated_data)
        return Response(_loyalty(customer_id))


def _loyalty(customer_id: int) -> dict:
    settings_row = loyalty.loyalty_settings_get()
    balance = loyalty.points_balance(customer_id=customer_id)
    tier = loyalty.tier_for(customer_id=customer_id)
    return LoyaltyOutput({
        "customer_id": customer_id, "points": balance, "points_value_amount": balance * settings_row.point_value_amount,
        "tier": tier.name if tier else None, "spend_12_months_amount": loyalty.spend_12_months(customer_id=customer_id),
        "entries": PointsEntry.objects.filter(customer_id=customer_id)[:200],
    }).data

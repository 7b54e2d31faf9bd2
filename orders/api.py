"""REST API for orders and customers: /api/v1/orders/ and /api/v1/customers/.

Serializers validate, services write. Creating an order accepts an `Idempotency-Key` header: the
same key with the same body answers with the same order (201 the first time, 200 after, with
`Idempotent-Replayed: true`); the same key with a different body is 409. Actions (confirm,
cancel, mark-packed, mark-shipped) call the lifecycle services and answer 409 on a disallowed
transition. Errors use the shared body {"error": {"code", "message", "fields"?}}.
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from channels.models import Channel
from channels.selectors import channel_for_order
from core.api import IdField
from core.drf import refuse_blank_params
from core.errors import NotFound
from core.permissions import HasPerms
from core.serializers import MoneyField
from core.untrusted import parse_id
from orders import selectors, services
from orders.models import OrderSource, OrderStatus, PaymentMethod
from orders.services import idempotency

# --- input serializers --------------------------------------------------------------------------


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="",
                                  help_text="Any usual Indonesian format: 0812..., +62 812..., 62812...")
    email = serializers.EmailField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("phone") and not attrs.get("email"):
            raise serializers.ValidationError({"phone": ["Give the customer's phone number or e-mail address."]})
        return attrs


class AddressInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=30)
    address = serializers.CharField(max_length=1000)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    province = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.RegexField(r"^\d{5}$", required=False, allow_blank=True, default="",
                                         error_messages={"invalid": "An Indonesian postal code has 5 digits."})


class LineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    variant_id = IdField(required=False, allow_null=True, default=None)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000)
    unit_price_amount = MoneyField(
        required=False, allow_null=True, default=None,
        help_text="Whole rupiah. Omit to use the channel listing's price or the variant's base price.",
    )
    discount_amount = MoneyField(required=False, default=0)

    def validate(self, attrs):
        if not attrs.get("sku") and not attrs.get("variant_id"):
            raise serializers.ValidationError({"sku": ["Give the SKU or the variant_id."]})
        return attrs


class OrderCreateInputSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=40, help_text="Channel code (e.g. WEB) or id.")
    external_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="",
                                        help_text="Your own order id; unique per channel.")
    customer = CustomerInputSerializer()
    shipping = AddressInputSerializer(required=False, allow_null=True, default=None)
    lines = LineInputSerializer(many=True, allow_empty=False, min_length=1, max_length=100)
    shipping_amount = MoneyField(required=False, default=0)
    discount_amount = MoneyField(required=False, default=0)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False,
                                             default=PaymentMethod.BANK_TRANSFER)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list,
                                 max_length=20)
    voucher_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                         help_text="A voucher code of the shop (own channels only).")
    loyalty_points = serializers.IntegerField(min_value=0, max_value=10**9, required=False, default=0,
                                              help_text="Loyalty points of the customer to redeem as a discount.")

    def validate_channel(self, value: str) -> Channel:
        value = value.strip()
        channel = channel_for_order(code_or_id=value)
        if channel is None:
            raise serializers.ValidationError(f"Channel {value!r} does not exist.")
        if not channel.is_active:
            raise serializers.ValidationError(f"Channel {channel.code} is not active.")
        return channel


class OrderListFilterSerializer(serializers.Serializer):
    channel = serializers.CharField(required=False, help_text="Channel code or id; several separated by commas.")
    external_id = serializers.CharField(required=False, max_length=128)
    status = serializers.CharField(required=False, help_text="One status or several separated by commas.")
    number = serializers.CharField(required=False, max_length=40)
    q = serializers.CharField(required=False, max_length=100, help_text="Number, customer, phone, e-mail, resi.")
    payment_method = serializers.CharField(required=False, max_length=32)
    sku = serializers.CharField(required=False, max_length=64)
    oversold = serializers.BooleanField(required=False, allow_null=True, default=None)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    tag = serializers.CharField(required=False, max_length=40)

    def validate_status(self, value: str) -> list[str]:
        statuses = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [s for s in statuses if s not in OrderStatus.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; use one of {', '.join(OrderStatus.values)}."
            )
        return statuses

    def validate_channel(self, value: str) -> list[int]:
        wanted = [part.strip() for part in value.split(",") if part.strip()]
        match = Q(pk__in=[parse_id(w) for w in wanted if parse_id(w)])
        for code in (w for w in wanted if not parse_id(w)):
            match |= Q(code__iexact=code)
        found = list(Channel.objects.filter(match).values_list("pk", flat=True)) if wanted else []
        if len(set(found)) < len(set(wanted)):
            raise serializers.ValidationError(f"Unknown channel in {value!r}.")
        return found

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["The end date is before the start date."]})
        if attrs.get("oversold") is None:
            attrs.pop("oversold", None)
        return attrs


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ShipInputSerializer(NoteInputSerializer):
    courier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


# --- output serializers -------------------------------------------------------------------------


class ChannelRefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class CustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    city = serializers.CharField()
    province = serializers.CharField()


class CustomerListOutputSerializer(CustomerOutputSerializer):
    order_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class OrderLineOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    variant_id = serializers.IntegerField(allow_null=True)
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price_amount = serializers.IntegerField()
    discount_amount = serializers.IntegerField()
    total_amount = serializers.IntegerField()
    stock_reserved = serializers.BooleanField()


class OrderEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.SerializerMethodField()
    source = serializers.CharField()
    note = serializers.CharField()
    data = serializers.JSONField()
    created_at = serializers.DateTimeField()

    def get_actor(self, event) -> str | None:
        return event.actor.get_username() if event.actor_id else None


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    external_id = serializers.CharField()
    channel = ChannelRefOutputSerializer()
    status = serializers.CharField()
    marketplace_status = serializers.CharField()
    placed_at = serializers.DateTimeField()
    customer = CustomerOutputSerializer(allow_null=True)
    subtotal_amount = serializers.IntegerField()
    shipping_amount = serializers.IntegerField()
    discount_amount = serializers.IntegerField()
    marketplace_fee_amount = serializers.IntegerField()
    total_amount = serializers.IntegerField()
    payment_method = serializers.CharField()
    payment_due_at = serializers.DateTimeField(allow_null=True)
    is_oversold = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    lines = OrderLineOutputSerializer(many=True)


class OrderDetailOutputSerializer(OrderOutputSerializer):
    source = serializers.CharField()
    ship_by = serializers.DateTimeField(allow_null=True)
    shipping_name = serializers.CharField()
    shipping_phone = serializers.CharField()
    shipping_address = serializers.CharField()
    shipping_city = serializers.CharField()
    shipping_province = serializers.CharField()
    shipping_postal_code = serializers.CharField()
    courier = serializers.CharField()
    tracking_number = serializers.CharField()
    notes = serializers.CharField()
    cancel_reason = serializers.CharField()
    paid_at = serializers.DateTimeField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    events = OrderEventOutputSerializer(many=True)


ERROR_BODY = inline_serializer(
    "ErrorBody",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(required=False),
            },
        )
    },
)
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key per order attempt (e.g. a UUID). Retrying with the same key and body returns the "
    "same order; the same key with a different body is refused with 409.",
)


# Output serializers keep no per-request state, so one bound instance answers every request: DRF
# would otherwise deep-copy the ~60 declared fields (nested ones included) for each answer.
_DETAIL_OUTPUT = OrderDetailOutputSerializer()
_DETAIL_OUTPUT.fields  # noqa: B018 - bind the fields once, at import


def _detail(order_id: int) -> dict:
    order = selectors.order_get(order_id=order_id)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return _DETAIL_OUTPUT.to_representation(order)


def _created_detail(created: services.CreatedOrder) -> dict:
    """The detail answer of a new order from the rows order_create wrote, without reading it back.

    The lines and events are handed to the serializer as this throw-away instance's prefetched
    relations (the order-created hooks do not touch the order's own rows).
    """
    order = created.order
    order._prefetched_objects_cache = {"lines": created.lines, "events": created.events}
    return _DETAIL_OUTPUT.to_representation(order)


# Like the output, the input is validated by one bound instance: `run_validation` keeps no state on
# the serializer (is_valid() would store the data and errors on it), so the fields are deep-copied
# once at import instead of on every order.
_CREATE_INPUT = OrderCreateInputSerializer()
_CREATE_INPUT.fields  # noqa: B018


def _validated_create_input(data) -> dict:
    try:
        return _CREATE_INPUT.run_validation(data)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError(exc.detail) from None


# --- views --------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List orders",
        parameters=[OrderListFilterSerializer],
        responses={200: OrderOutputSerializer(many=True), 400: ERROR_BODY},
    ),
    retrieve=extend_schema(summary="One order with its lines and events",
                           responses={200: OrderDetailOutputSerializer, 404: ERROR_BODY}),
)
class OrderViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Orders from every channel. Reading needs orders.view_order; each action needs its own permission."""

    permission_classes = [HasPerms]
    required_perms = ("orders.view_order",)
    action_perms = {
        "create": ("orders.add_order",),
        "confirm": ("orders.process_order",),
        "mark_packed": ("orders.process_order",),
        "mark_shipped": ("orders.process_order",),
        "cancel": ("orders.cancel_order",),
    }
    filter_backends: list = []
    serializer_class = OrderOutputSerializer

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            refuse_blank_params(self.request.query_params, OrderListFilterSerializer().fields)
            params = OrderListFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            filters = params.validated_data
        return selectors.order_list(filters=filters, with_lines=True)

    def retrieve(self, request, pk=None):
        return Response(_detail(_pk(pk)))

    @extend_schema(
        summary="Create an order (web store)",
        parameters=[IDEMPOTENCY_HEADER],
        request=OrderCreateInputSerializer,
        responses={
            201: OrderDetailOutputSerializer,
            200: OpenApiResponse(OrderDetailOutputSerializer, description="Replay of an earlier request with the "
                                 "same Idempotency-Key and body."),
            400: ERROR_BODY,
            409: OpenApiResponse(ERROR_BODY, description="Out of stock, external_id already used, or the "
                                 "Idempotency-Key was used with a different body."),
        },
    )
    def create(self, request):
        key = (request.headers.get("Idempotency-Key") or "").strip()
        if len(key) > idempotency.IDEMPOTENCY_KEY_MAX_LENGTH:
            raise serializers.ValidationError({"Idempotency-Key": ["At most 255 characters."]})
        data = _validated_create_input(request.data)
        if not key:
            return Response(_created_detail(self._create(data)), status=status.HTTP_201_CREATED)
        result = idempotency.order_create_idempotent(
            user_id=request.user.pk, key=key, request_data=request.data,
            create=lambda **reserved: self._create(data, **reserved),
        )
        if result.replayed:
            return Response(_detail(result.order_id), status=status.HTTP_200_OK,
                            headers={"Idempotent-Replayed": "true"})
        # Serialised after the commit, so the stock rows are not held locked meanwhile.
        return Response(_created_detail(result.created), status=status.HTTP_201_CREATED)

    def _create(self, data: dict, order_id: int | None = None, savepoint: bool = True):
        shipping = data.get("shipping")
        return services.order_create_with_rows(
            channel_id=data["channel"].id,
            lines=[
                services.LineInput(
                    quantity=line["quantity"],
                    sku=line.get("sku", ""),
                    variant_id=line.get("variant_id"),
                    unit_price_amount=line.get("unit_price_amount"),
                    discount_amount=line.get("discount_amount", 0),
                )
                for line in data["lines"]
            ],
            customer=services.CustomerInput(**data["customer"]),
            shipping=services.AddressInput(**shipping) if shipping else None,
            shipping_amount=data["shipping_amount"],
            discount_amount=data["discount_amount"],
            payment_method=data["payment_method"],
            notes=data["notes"],
            tags=data["tags"],
            external_id=data["external_id"],
            actor=self.request.user,
            source=OrderSource.API,
            channel=data["channel"],
            order_id=order_id,
            savepoint=savepoint,
            discounts={"voucher": data["voucher_code"].strip(), "points": data["loyalty_points"]},
        )

    def _act(self, pk, serializer_class, call):
        params = serializer_class(data=self.request.data)
        params.is_valid(raise_exception=True)
        order = call(order_id=_pk(pk), actor=self.request.user, source=OrderSource.API, **params.validated_data)
        return Response(_detail(order.id))

    @extend_schema(summary="Confirm a paid (or cash-on-delivery) order", request=NoteInputSerializer,
                   responses={200: OrderDetailOutputSerializer, 404: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._act(pk, NoteInputSerializer, services.order_confirm)

    @extend_schema(summary="Cancel an order that has not shipped; releases its stock", request=ReasonInputSerializer,
                   responses={200: OrderDetailOutputSerializer, 400: ERROR_BODY, 404: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(pk, ReasonInputSerializer, services.order_cancel)

    @extend_schema(summary="Mark a confirmed order packed", request=NoteInputSerializer,
                   responses={200: OrderDetailOutputSerializer, 404: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"], url_path="mark-packed")
    def mark_packed(self, request, pk=None):
        return self._act(pk, NoteInputSerializer, services.order_mark_packed)

    @extend_schema(summary="Mark a packed order shipped; commits its stock", request=ShipInputSerializer,
                   responses={200: OrderDetailOutputSerializer, 404: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"], url_path="mark-shipped")
    def mark_shipped(self, request, pk=None):
        return self._act(pk, ShipInputSerializer, services.order_mark_shipped)


def _pk(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"Order {value!r} does not exist.") from None


@extend_schema_view(
    list=extend_schema(
        summary="List or search customers",
        parameters=[OpenApiParameter("search", OpenApiTypes.STR, description="Name, e-mail or phone (any format).")],
        responses={200: CustomerListOutputSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="One customer", responses={200: CustomerListOutputSerializer, 404: ERROR_BODY}),
)
class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers, deduplicated across channels by phone and e-mail."""

    permission_classes = [HasPerms]
    required_perms = ("orders.view_customer",)
    filter_backends: list = []
    serializer_class = CustomerListOutputSerializer

    def get_queryset(self):
        search = self.request.query_params.get("search", "")[:100] if self.action == "list" else ""
        return selectors.customer_list(search=search)

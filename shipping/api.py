"""REST API of shipping: /api/v1/shipments/ and /api/v1/shipping/rates/.

Roles: reading shipments and their tracking needs `shipping.view_shipment` (Customer Service,
Warehouse, Finance, Admin); creating parcels, adding a resi, booking and cancelling need
`shipping.pack_shipment` (Warehouse); the cost fields (quoted and real shipping cost, packing cost,
subsidy) are shown only to `shipping.view_shipping_costs` (Finance, Admin, Owner). Serializers
validate, services write; errors use core.api's one JSON error body.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import JSONBodyOnly, JSONParser
from core.errors import NotFound
from core.permissions import HasPerms
from core.serializers import IdField, MoneyField
from core.untrusted import parse_id
from orders.models import Order, OrderLine
from shipping.models import Shipment, ShipmentDirection, ShipmentLine, ShipmentStatus, TrackingEvent
from shipping.services import shipments as shipment_services
from shipping.services.rates import MAX_SIDE_CM, MAX_WEIGHT_GRAMS, Destination, Parcel, order_quote, quote

VIEW = "shipping.view_shipment"
PACK = "shipping.pack_shipment"
COSTS = "shipping.view_shipping_costs"

ERROR_BODY = inline_serializer("ShippingErrorBody", {"error": inline_serializer("ShippingErrorDetail", {
    "code": serializers.CharField(), "message": serializers.CharField(),
    "fields": serializers.DictField(required=False)})})


# --- output ---------------------------------------------------------------------------------------

class TrackingEventOutputSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    source = serializers.CharField()
    status_word = serializers.CharField()
    status = serializers.CharField()
    description = serializers.CharField()
    location = serializers.CharField()


class ShipmentLineOutputSerializer(serializers.Serializer):
    order_line_id = serializers.IntegerField()
    sku = serializers.CharField(source="order_line.sku")
    quantity = serializers.IntegerField()
    scanned_quantity = serializers.IntegerField()


class CostsOutputSerializer(serializers.Serializer):
    quoted_cost_amount = serializers.IntegerField()
    cost_amount = serializers.IntegerField()
    packing_cost_amount = serializers.IntegerField()
    subsidy_amount = serializers.IntegerField()
    insurance_amount = serializers.IntegerField()
    charged_weight_grams = serializers.IntegerField()


class ShipmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    order_id = serializers.IntegerField()
    order_number = serializers.CharField(source="order.number")
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    direction = serializers.ChoiceField(choices=ShipmentDirection.choices,
                                        help_text="outbound: to the customer; return: coming back to the shop")
    provider = serializers.CharField()
    courier = serializers.CharField(source="courier_key")
    courier_name = serializers.CharField()
    service = serializers.CharField(source="service.code", default="", allow_null=True)
    tracking_number = serializers.CharField()
    sort_code = serializers.CharField()
    ship_by = serializers.DateTimeField(allow_null=True)
    dispatched_on_time = serializers.BooleanField(allow_null=True)
    delivered_within_eta = serializers.BooleanField(allow_null=True)
    weight_grams = serializers.IntegerField()
    length_cm = serializers.IntegerField()
    width_cm = serializers.IntegerField()
    height_cm = serializers.IntegerField()
    cod_amount = serializers.IntegerField()
    packed_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    last_tracking_at = serializers.DateTimeField(allow_null=True)
    lines = ShipmentLineOutputSerializer(many=True)
    costs = serializers.SerializerMethodField()

    @extend_schema_field(CostsOutputSerializer(allow_null=True))
    def get_costs(self, shipment: Shipment) -> dict | None:
        """Only for roles that see costs (Finance, Admin, Owner); null otherwise."""
        if not self.context.get("see_costs"):
            return None
        return {"quoted_cost_amount": shipment.quoted_cost_amount, "cost_amount": shipment.cost_amount,
                "packing_cost_amount": shipment.packing_cost_amount, "subsidy_amount": shipment.subsidy_amount,
                "insurance_amount": shipment.insurance_amount, "charged_weight_grams": shipment.charged_weight_grams}


class QuoteOptionOutputSerializer(serializers.Serializer):
    courier_code = serializers.CharField()
    courier_name = serializers.CharField()
    service_code = serializers.CharField()
    service_name = serializers.CharField()
    price_amount = serializers.IntegerField()
    subsidy_amount = serializers.IntegerField()
    buyer_pays_amount = serializers.IntegerField()
    etd_min_days = serializers.IntegerField(allow_null=True)
    etd_max_days = serializers.IntegerField(allow_null=True)
    cod_available = serializers.BooleanField()
    insurance_available = serializers.BooleanField()
    insurance_amount = serializers.IntegerField()
    cod_fee_amount = serializers.IntegerField()
    chargeable_weight_grams = serializers.IntegerField()
    cheapest = serializers.BooleanField()
    fastest = serializers.BooleanField()
    source = serializers.CharField()


class QuoteOutputSerializer(serializers.Serializer):
    options = QuoteOptionOutputSerializer(many=True)
    errors = serializers.ListField(child=serializers.CharField())


# --- input ----------------------------------------------------------------------------------------

class ShipmentCreateInputSerializer(serializers.Serializer):
    order = IdField()
    lines = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=100_000), required=False,
                                  help_text="Order line id -> units in this parcel; default: every unit left.")
    courier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")

    def validate_lines(self, value: dict) -> dict[int, int]:
        lines = {parse_id(key): units for key, units in value.items()}
        if None in lines:
            raise serializers.ValidationError("Each key is an order line id (a whole number from 1).")
        return lines


class ResiInputSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=64)
    courier = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                    help_text="Courier code or name; default: the parcel's courier.")


class BookInputSerializer(serializers.Serializer):
    account = IdField()
    service = IdField()
    quoted_amount = MoneyField(required=False, default=0)
    destination_area_id = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    destination_kecamatan_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class RateQuoteInputSerializer(serializers.Serializer):
    order = IdField(required=False,
                                     help_text="Quote an order's parcel to its address; or give the fields below.")
    origin_city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    province = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    district = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    weight_grams = serializers.IntegerField(min_value=1, max_value=MAX_WEIGHT_GRAMS, required=False)
    length_cm = serializers.IntegerField(min_value=0, max_value=MAX_SIDE_CM, required=False, default=0)
    width_cm = serializers.IntegerField(min_value=0, max_value=MAX_SIDE_CM, required=False, default=0)
    height_cm = serializers.IntegerField(min_value=0, max_value=MAX_SIDE_CM, required=False, default=0)
    value_amount = MoneyField(required=False, default=0)
    cod = serializers.BooleanField(required=False, default=False)
    live = serializers.BooleanField(required=False, default=False, help_text="Also ask the aggregators.")
    sort = serializers.ChoiceField(choices=["price", "eta"], required=False, default="price")

    def validate(self, attrs):
        if not attrs.get("order"):
            missing = {}
            if not attrs.get("weight_grams"):
                missing["weight_grams"] = ["Give the parcel's weight in grams, or an order."]
            if not (attrs.get("province") or attrs.get("city") or attrs.get("postal_code")):
                missing["province"] = ["Give the destination (province, city or postal code), or an order."]
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


# --- views ----------------------------------------------------------------------------------------

def _shipments():
    return Shipment.objects.select_related("order", "courier", "service").prefetch_related(
        Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line")))


@extend_schema_view(
    list=extend_schema(summary="List shipments", parameters=[
        OpenApiParameter("order", str, description="Order id or order number"),
        OpenApiParameter("resi", str, description="Tracking number, exactly"),
        OpenApiParameter("courier", str, description="Courier code, e.g. jne"),
        OpenApiParameter("status", str, enum=ShipmentStatus.values),
        OpenApiParameter("direction", str, enum=ShipmentDirection.values,
                         description="outbound (to the customer) or return (coming back)"),
    ], responses={200: ShipmentOutputSerializer(many=True)}),
    retrieve=extend_schema(summary="One shipment", responses={200: ShipmentOutputSerializer, 404: ERROR_BODY}),
)
class ShipmentViewSet(JSONBodyOnly, viewsets.GenericViewSet):
    parser_classes = [JSONParser]  # lines are an object (line id -> units), which a form body cannot carry
    permission_classes = [HasPerms]
    serializer_class = ShipmentOutputSerializer
    filter_backends: list = []
    required_perms = (VIEW,)
    write_perms = (PACK,)
    lookup_value_regex = r"\d+"

    def _context(self) -> dict:
        return {"see_costs": self.request.user.has_perm(COSTS)}

    def _get(self, pk) -> Shipment:
        shipment = _shipments().filter(pk=parse_id(pk)).first() if parse_id(pk) else None
        if shipment is None:
            raise NotFound(f"Shipment {pk} does not exist.")
        return shipment

    def _answer(self, shipment_id: int, status: int = 200) -> Response:
        return Response(ShipmentOutputSerializer(self._get(shipment_id), context=self._context()).data, status=status)

    def list(self, request):
        qs = _shipments().order_by("-id")
        params = request.query_params
        if params.get("order"):
            value = params["order"].strip()
            order_id = parse_id(value)
            qs = qs.filter(Q(order__number=value) | Q(order_id=order_id) if order_id else Q(order__number=value))
        if params.get("resi"):
            qs = qs.filter(tracking_number=params["resi"].strip())
        if params.get("courier"):
            qs = qs.filter(courier_key=params["courier"].strip().lower())
        if "status" in params:  # given empty is not "any status": the schema lists the values
            if params["status"] not in ShipmentStatus.values:
                raise serializers.ValidationError({"status": [f"Unknown status {params['status']!r}."]})
            qs = qs.filter(status=params["status"])
        if "direction" in params:
            if params["direction"] not in ShipmentDirection.values:
                raise serializers.ValidationError({"direction": [f"Unknown direction {params['direction']!r}."]})
            qs = qs.filter(direction=params["direction"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ShipmentOutputSerializer(page, many=True, context=self._context()).data)

    def retrieve(self, request, pk=None):
        return self._answer(pk)

    @extend_schema(summary="Create a parcel for an order", request=ShipmentCreateInputSerializer,
                   responses={201: ShipmentOutputSerializer, 400: ERROR_BODY, 404: ERROR_BODY, 409: ERROR_BODY})
    def create(self, request):
        params = ShipmentCreateInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        shipment = shipment_services.shipment_create(
            order_id=data["order"], lines=data.get("lines") or None,
            courier_name=data["courier"], tracking_number=data["tracking_number"], actor=request.user, source="api")
        return self._answer(shipment.pk, status=201)

    @extend_schema(summary="Give a parcel its resi (unique per courier)", request=ResiInputSerializer,
                   responses={200: ShipmentOutputSerializer, 400: ERROR_BODY, 404: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def resi(self, request, pk=None):
        params = ResiInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        shipment = self._get(pk)
        shipment_services.shipment_set_resi(shipment_id=shipment.pk, tracking_number=params.validated_data[
            "tracking_number"], courier_name=params.validated_data["courier"], actor=request.user, source="api")
        return self._answer(shipment.pk)

    @extend_schema(summary="Book the parcel with an aggregator (Biteship, KiriminAja)", request=BookInputSerializer,
                   responses={200: ShipmentOutputSerializer, 404: ERROR_BODY, 409: ERROR_BODY, 502: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def book(self, request, pk=None):
        from shipping.services.bookings import shipment_book

        params = BookInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        shipment = shipment_book(shipment_id=self._get(pk).pk, account_id=data["account"], service_id=data["service"],
                                 quoted_amount=data["quoted_amount"], destination_area_id=data["destination_area_id"],
                                 destination_kecamatan_id=data["destination_kecamatan_id"], actor=request.user)
        return self._answer(shipment.pk)

    @extend_schema(summary="Cancel a parcel that has not left", request=CancelInputSerializer,
                   responses={200: ShipmentOutputSerializer, 400: ERROR_BODY, 404: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        params = CancelInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        shipment = shipment_services.shipment_cancel(shipment_id=self._get(pk).pk, actor=request.user, source="api",
                                                     reason=params.validated_data["reason"])
        return self._answer(shipment.pk)

    @extend_schema(summary="The parcel's tracking events, oldest first",
                   responses={200: TrackingEventOutputSerializer(many=True), 404: ERROR_BODY})
    @action(detail=True, methods=["get"], url_path="tracking-events")
    def tracking_events(self, request, pk=None):
        shipment = self._get(pk)
        events = TrackingEvent.objects.filter(shipment=shipment).order_by("occurred_at", "id")
        return Response(TrackingEventOutputSerializer(events, many=True).data)


class RateQuoteApi(APIView):
    permission_classes = [HasPerms]
    required_perms = (VIEW,)

    @extend_schema(summary="Quote shipping options (cheapest or fastest first)", request=RateQuoteInputSerializer,
                   responses={200: QuoteOutputSerializer, 400: ERROR_BODY, 404: ERROR_BODY})
    def post(self, request):
        params = RateQuoteInputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            if data.get("order"):
                order = Order.objects.select_related("channel").prefetch_related(Prefetch(
                    "lines", queryset=OrderLine.objects.select_related("variant__product"))).filter(
                    pk=data["order"]).first()
                if order is None:
                    raise NotFound(f"Order {data['order']} does not exist.")
                result = order_quote(order=order, live=data["live"], sort=data["sort"])
            else:
                from shipping.selectors import shipping_settings

                result = quote(
                    origin=data["origin_city"] or shipping_settings().origin_city,
                    destination=Destination(province=data["province"], city=data["city"], district=data["district"],
                                            postal_code=data["postal_code"]),
                    parcel=Parcel(weight_grams=data["weight_grams"], length_cm=data["length_cm"],
                                  width_cm=data["width_cm"], height_cm=data["height_cm"],
                                  value_amount=data["value_amount"]),
                    cod=data["cod"], live=data["live"], sort=data["sort"])
        except ValueError as exc:
            raise serializers.ValidationError({"weight_grams": [str(exc)]}) from None
        return Response(QuoteOutputSerializer({"options": result.options, "errors": result.errors}).data)

"""Catalog API: products, variants with stock, warehouses, the stock ledger and stock adjustments."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.errors import InvalidStockChange
from catalog.models import Product, ProductPhoto, ProductVariant, StockMovement, Warehouse
from core.api import MAX_QUANTITY, QuantityField
from core.permissions import HasPerms
from core.untrusted import parse_id

COST_PERMISSION = "catalog.view_variantcosthistory"


# --- Serializers --------------------------------------------------------------------------------


class WarehouseStockSerializer(serializers.Serializer):
    warehouse_id = serializers.IntegerField()
    warehouse = serializers.CharField(help_text="Warehouse code.")
    name = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class StockSerializer(serializers.Serializer):
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    warehouses = WarehouseStockSerializer(many=True)


class VariantOutputSerializer(serializers.ModelSerializer):
    product_id = serializers.IntegerField(read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    stock = serializers.SerializerMethodField()
    on_hand = serializers.SerializerMethodField()
    reserved = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()

    class Meta:
        model = ProductVariant
        fields = ["id", "product_id", "product_name", "sku", "name", "attributes", "barcode", "price_amount",
                  "cost_amount", "low_stock_threshold", "is_active", "on_hand", "reserved", "available", "stock"]

    def _summary(self, variant):
        cache = self.context.setdefault("_summaries", {})
        if variant.pk not in cache:
            cache[variant.pk] = selectors.variant_stock_summary(variant=variant)
        return cache[variant.pk]

    @extend_schema_field(StockSerializer)
    def get_stock(self, variant) -> dict:
        return self._summary(variant).as_dict()

    def get_on_hand(self, variant) -> int:
        return self._summary(variant).on_hand

    def get_reserved(self, variant) -> int:
        return self._summary(variant).reserved

    def get_available(self, variant) -> int:
        return self._summary(variant).available

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.has_perm(COST_PERMISSION):
            data.pop("cost_amount", None)
        return data


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductPhoto
        fields = ["id", "image", "thumbnail", "width", "height", "alt_text", "position"]


class ProductOutputSerializer(serializers.ModelSerializer):
    variants = VariantOutputSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "name", "description", "category", "brand", "video_url", "weight_grams", "length_cm",
                  "width_cm", "height_cm", "is_active", "created_at", "updated_at", "photos", "variants"]


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField(max_length=120, required=False, allow_blank=True)
    brand = serializers.CharField(max_length=120, required=False, allow_blank=True)
    video_url = serializers.URLField(required=False, allow_blank=True)
    weight_grams = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False,
                                            help_text="At most 1,000 kg.")
    length_cm = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    width_cm = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    height_cm = serializers.IntegerField(min_value=0, max_value=10_000, required=False)


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "address", "city", "postal_code", "is_default", "is_active"]


class MovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    warehouse = serializers.CharField(source="warehouse.code")
    actor = serializers.SerializerMethodField()

    class Meta:
        model = StockMovement
        fields = ["id", "sku", "warehouse", "kind", "on_hand_change", "reserved_change", "reference", "reason",
                  "actor", "created_at"]

    def get_actor(self, movement) -> str | None:
        return movement.actor.get_username() if movement.actor_id else None


class StockAdjustmentInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(
        max_length=20, required=False, help_text="Warehouse code (or id); the default warehouse when left out."
    )
    quantity_change = QuantityField(required=False, min_value=-MAX_QUANTITY,
                                    help_text="Add (positive) or remove (negative).")
    counted_quantity = QuantityField(required=False, help_text="Stock count (opname).")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_sku(self, value):
        variant = ProductVariant.objects.filter(sku__iexact=value.strip()).first()
        if variant is None:
            raise serializers.ValidationError("No variant has this SKU.")
        return variant

    def validate_warehouse(self, value):
        value = value.strip()
        qs = Warehouse.objects.filter(is_active=True)
        warehouse_id = parse_id(value)
        warehouse = qs.filter(code=value).first() or (qs.filter(pk=warehouse_id).first() if warehouse_id else None)
        if warehouse is None:
            raise serializers.ValidationError("No active warehouse with this code.")
        return warehouse

    def validate(self, attrs):
        has_change = attrs.get("quantity_change") is not None
        has_count = attrs.get("counted_quantity") is not None
        if has_change == has_count:
            raise serializers.ValidationError(
                {"quantity_change": ["Give either quantity_change or counted_quantity, not both."]}
            )
        if has_change and attrs["quantity_change"] == 0:
            raise serializers.ValidationError({"quantity_change": ["The change must not be zero."]})
        if has_change and not attrs.get("reason", "").strip():
            raise serializers.ValidationError({"reason": ["Say why the stock is adjusted."]})
        return attrs


# --- Views --------------------------------------------------------------------------------------


def _variants_prefetch() -> Prefetch:
    return Prefetch(
        "variants",
        queryset=ProductVariant.objects.select_related("product").prefetch_related(selectors.stock_levels_prefetch())
        .order_by("sku"),
    )


PRODUCT_STATUSES = ("active", "archived")


class ProductListApi(generics.ListCreateAPIView):
    """Products with their variants, photos and stock figures; POST creates a product."""

    permission_classes = [HasPerms]
    required_perms = ("catalog.view_product",)
    write_perms = ("catalog.add_product",)
    serializer_class = ProductOutputSerializer

    @extend_schema(parameters=[
        OpenApiParameter("search", str, description="Name, SKU, brand or barcode"),
        OpenApiParameter("category", str), OpenApiParameter("status", str, enum=list(PRODUCT_STATUSES)),
    ])
    def get(self, request, *args, **kwargs):
        status_ = request.query_params.get("status", "")
        if "status" in request.query_params and status_ not in PRODUCT_STATUSES:
            raise serializers.ValidationError({"status": [f"Choose one of {', '.join(PRODUCT_STATUSES)}."]})
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.product_list(
            search=params.get("search", "").strip(), category=params.get("category", ""),
            brand=params.get("brand", ""), status=params.get("status", ""),
        ).prefetch_related(_variants_prefetch(), Prefetch("photos", queryset=ProductPhoto.objects.order_by("position")))

    @extend_schema(request=ProductInputSerializer, responses={201: ProductOutputSerializer})
    def post(self, request, *args, **kwargs):
        data = ProductInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.product_create(actor=request.user, **data.validated_data)
        return Response(ProductOutputSerializer(product, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class ProductDetailApi(generics.RetrieveAPIView):
    permission_classes = [HasPerms]
    required_perms = ("catalog.view_product",)
    serializer_class = ProductOutputSerializer

    def get_queryset(self):
        return Product.objects.prefetch_related(
            _variants_prefetch(), Prefetch("photos", queryset=ProductPhoto.objects.order_by("position"))
        )


@extend_schema(parameters=[OpenApiParameter("sku", str, description="Exact SKU (case-insensitive)"),
                           OpenApiParameter("search", str),
                           OpenApiParameter("product", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1})])
class VariantListApi(generics.ListAPIView):
    """Variants with on_hand, reserved and available per warehouse and in total."""

    permission_classes = [HasPerms]
    required_perms = ("catalog.view_productvariant",)
    serializer_class = VariantOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        product = params.get("product", "")
        product_id = parse_id(product)
        if product and product_id is None:
            raise serializers.ValidationError({"product": ["A product id is a whole number."]})
        return selectors.variant_list(sku=params.get("sku", ""), search=params.get("search", "").strip(),
                                      product_id=product_id)


class VariantDetailApi(generics.RetrieveAPIView):
    permission_classes = [HasPerms]
    required_perms = ("catalog.view_productvariant",)
    serializer_class = VariantOutputSerializer

    def get_queryset(self):
        return selectors.variant_list()


class WarehouseListApi(generics.ListAPIView):
    permission_classes = [HasPerms]
    required_perms = ("catalog.view_warehouse",)
    serializer_class = WarehouseSerializer

    def get_queryset(self):
        return selectors.warehouse_list()


@extend_schema(parameters=[OpenApiParameter("sku", str), OpenApiParameter("warehouse", str),
                           OpenApiParameter("kind", str, enum=list(StockMovement.Kind.values)),
                           OpenApiParameter("reference", str)])
class StockMovementListApi(generics.ListAPIView):
    """The append-only stock ledger, newest first."""

    permission_classes = [HasPerms]
    required_perms = ("catalog.view_stockmovement",)
    serializer_class = MovementSerializer

    def get_queryset(self):
        params = self.request.query_params
        warehouse_id = None
        if params.get("warehouse"):
            warehouse = Warehouse.objects.filter(code=params["warehouse"]).first()
            warehouse_id = warehouse.pk if warehouse else -1
        kind = params.get("kind", "")
        if "kind" in params and kind not in StockMovement.Kind.values:
            raise serializers.ValidationError({"kind": [f"Choose one of {', '.join(StockMovement.Kind.values)}."]})
        return selectors.stock_movement_list(sku=params.get("sku", ""), warehouse_id=warehouse_id, kind=kind,
                                             reference=params.get("reference", ""))


class StockAdjustmentApi(APIView):
    """Adjust stock by a quantity (with a reason) or record a stock count (opname)."""

    permission_classes = [HasPerms]
    required_perms = ("catalog.adjust_stock",)

    @extend_schema(request=StockAdjustmentInputSerializer, responses={201: MovementSerializer})
    def post(self, request):
        data = StockAdjustmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        warehouse = v.get("warehouse") or services.warehouse_default()
        try:
            if v.get("quantity_change") is not None:
                movement = services.stock_adjust(variant_id=v["sku"].pk, warehouse_id=warehouse.pk,
                                                 quantity_change=v["quantity_change"], reason=v["reason"],
                                                 actor=request.user, reference="api")
            else:
                movement = services.stock_count(variant_id=v["sku"].pk, warehouse_id=warehouse.pk,
                                                counted_quantity=v["counted_quantity"], reason=v["reason"],
                                                actor=request.user, reference="api")
        except InvalidStockChange as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        movement = get_object_or_404(StockMovement.objects.select_related("variant", "warehouse", "actor"),
                                     pk=movement.pk)
        body = MovementSerializer(movement).data
        body["stock"] = selectors.variant_stock_summary(variant_id=movement.variant_id).as_dict()
        return Response(body, status=status.HTTP_201_CREATED)

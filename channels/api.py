"""Channels API: create and edit channels (secrets write-only) and their health.

Sync now and the webhook deliveries of a channel are marketplaces.api."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from channels import selectors, services
from channels.models import CREDENTIAL_FIELDS, Channel
from core.permissions import HasPerms
from core.serializers import MoneyField


class ChannelOutputSerializer(serializers.ModelSerializer):
    credentials_set = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="Names of the stored secrets. Their values are never returned.",
    )
    health = serializers.CharField(read_only=True, help_text="ok, not_synced, stale, failing or inactive.")

    class Meta:
        model = Channel
        fields = [
            "id", "kind", "name", "code", "shop_id", "is_active", "api_base_url", "callback_url",
            "commission_percent", "fixed_fee_amount", "credentials_set", "health", "sync_cursor",
            "last_synced_at", "last_sync_error", "sync_failures", "created_at", "updated_at",
        ]


@extend_schema_field({
    "type": "object",
    "properties": {name: {"type": "string", "maxLength": 512} for name in CREDENTIAL_FIELDS},
    "additionalProperties": False,
})
class CredentialsField(serializers.DictField):
    """Write-only secrets; only the names in CREDENTIAL_FIELDS are accepted."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.CharField(allow_blank=True, max_length=512), write_only=True, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        unknown = sorted(set(value) - set(CREDENTIAL_FIELDS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown credential field(s): {', '.join(unknown)}. Allowed: {', '.join(CREDENTIAL_FIELDS)}."
            )
        return value


@extend_schema_field({"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01})
class PercentField(serializers.DecimalField):
    """0 to 100 with at most two decimals (the schema says so too)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=5, decimal_places=2, min_value=0, max_value=100, coerce_to_string=False, **kwargs)


class ChannelInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    name = serializers.CharField(max_length=120)
    code = serializers.SlugField(max_length=40)
    shop_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    credentials = CredentialsField(required=False, default=dict)
    api_base_url = serializers.URLField(required=False, allow_blank=True, default="")
    callback_url = serializers.URLField(required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    commission_percent = PercentField(required=False, default=0)
    fixed_fee_amount = MoneyField(required=False, default=0)


class ChannelUpdateSerializer(ChannelInputSerializer):
    """Used with partial=True: every field optional; credentials merge (a blank value keeps the secret)."""


class ChannelListApi(generics.ListAPIView):
    """List channels with health, or create one (credentials are write-only)."""

    permission_classes = [HasPerms]
    required_perms = ("channels.view_channel",)
    write_perms = ("channels.add_channel",)
    serializer_class = ChannelOutputSerializer
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self):
        return selectors.channel_list()

    @extend_schema(request=ChannelInputSerializer, responses={201: ChannelOutputSerializer})
    def post(self, request):
        data = ChannelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_create(**data.validated_data)
        return Response(ChannelOutputSerializer(channel).data, status=status.HTTP_201_CREATED)


class ChannelDetailApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("channels.view_channel",)
    write_perms = ("channels.change_channel",)

    @extend_schema(responses=ChannelOutputSerializer)
    def get(self, request, pk: int):
        return Response(ChannelOutputSerializer(get_object_or_404(Channel, pk=pk)).data)

    @extend_schema(request=ChannelUpdateSerializer, responses=ChannelOutputSerializer)
    def patch(self, request, pk: int):
        get_object_or_404(Channel, pk=pk)
        data = ChannelUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        credentials = changes.pop("credentials", None)
        channel = services.channel_update(channel_id=pk, credentials=credentials, **changes)
        return Response(ChannelOutputSerializer(channel).data)

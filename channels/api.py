"""Channels API: create and edit channels (secrets write-only), health, sync now, deliveries."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from channels import selectors, services, tasks
from channels.models import CREDENTIAL_FIELDS, Channel
from core.models import InboundDelivery
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


class ChannelInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    name = serializers.CharField(max_length=120)
    code = serializers.SlugField(max_length=40)
    shop_id = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")
    credentials = CredentialsField(required=False, default=dict)
    api_base_url = serializers.URLField(required=False, allow_blank=True, default="")
    callback_url = serializers.URLField(required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    commission_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                  required=False, default=0)
    fixed_fee_amount = MoneyField(required=False, default=0)


class ChannelUpdateSerializer(ChannelInputSerializer):
    """Used with partial=True: every field optional; credentials merge (a blank value keeps the secret)."""


class DeliveryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundDelivery
        fields = ["id", "provider", "channel_id", "account_ref", "external_id", "event_type", "status", "attempts",
                  "error", "received_at", "processed_at"]


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


class ChannelSyncApi(APIView):
    """Queue a pull sync of a marketplace channel now."""

    permission_classes = [HasPerms]
    required_perms = ("channels.sync_channel",)

    @extend_schema(
        request=None, responses={202: inline_serializer("SyncQueued", {"queued": serializers.BooleanField()})}
    )
    def post(self, request, pk: int):
        channel = get_object_or_404(Channel, pk=pk)
        if not channel.is_marketplace or not channel.is_active:
            return Response(
                {"error": {"code": "not_syncable", "message": "Only active marketplace channels sync."}},
                status=status.HTTP_409_CONFLICT,
            )
        tasks.channel_sync.delay_on_commit(channel.pk)
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class ChannelDeliveryListApi(generics.ListAPIView):
    """Webhook deliveries received for one channel, newest first (bodies are not returned)."""

    permission_classes = [HasPerms]
    required_perms = ("channels.view_channel", "core.view_inbounddelivery")
    serializer_class = DeliveryOutputSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no channel
            return InboundDelivery.objects.none()
        get_object_or_404(Channel, pk=self.kwargs["pk"])
        return selectors.delivery_list(channel_id=self.kwargs["pk"])

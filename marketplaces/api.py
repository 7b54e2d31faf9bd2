"""Marketplace API of a channel: queue a pull sync now, list the webhook deliveries received."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from channels import selectors
from channels.models import Channel
from core.models import InboundDelivery
from core.permissions import HasPerms
from marketplaces import tasks


class DeliveryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundDelivery
        fields = ["id", "provider", "channel_id", "account_ref", "external_id", "event_type", "status", "attempts",
                  "error", "received_at", "processed_at"]


class ChannelSyncApi(APIView):
    """Queue a pull sync of a marketplace channel now."""

    permission_classes = [HasPerms]
    required_perms = ("channels.sync_channel",)

    @extend_schema(
        request=None, responses={
            202: inline_serializer("SyncQueued", {"queued": serializers.BooleanField()}),
            409: OpenApiResponse(description="Only active marketplace channels sync."),
        }
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

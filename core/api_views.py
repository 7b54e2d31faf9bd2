from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeApi(APIView):
    """Who the token or session belongs to, and their roles."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "roles": sorted(user.groups.values_list("name", flat=True)),
        }
        return Response(MeOutputSerializer(data).data)

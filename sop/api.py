"""SOP API: the handbook (steps, versions), acknowledgements, revisions and compliance."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.drf import JSONBodyOnly, JSONParser
from core.permissions import HasPerms
from sop import selectors, services
from sop.forms import RangeForm
from sop.models import Acknowledgement, Step, StepVersion


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StepVersion
        fields = ["id", "number", "body", "change_summary", "created_at"]


class TargetSerializer(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField(source="get_metric_label")
    threshold = serializers.DecimalField(max_digits=8, decimal_places=2)
    goal_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class StepSerializer(serializers.ModelSerializer):
    current_version = VersionSerializer()
    targets = TargetSerializer(many=True)
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = Step
        fields = ["id", "stage", "code", "position", "title", "roles", "current_version", "targets", "acknowledged"]

    def get_acknowledged(self, step) -> bool:
        return step.current_version_id in self.context["acknowledged"]


class StepDetailSerializer(StepSerializer):
    versions = VersionSerializer(many=True)

    class Meta(StepSerializer.Meta):
        fields = [*StepSerializer.Meta.fields, "versions"]


def _acknowledged(user) -> set[int]:
    return set(Acknowledgement.objects.filter(user=user).values_list("version_id", flat=True))


class StepListApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("sop.view_step",)

    @extend_schema(operation_id="sop_steps_list", responses=StepSerializer(many=True))
    def get(self, request):
        steps = Step.objects.filter(is_active=True).select_related("current_version").prefetch_related("targets")
        return Response(StepSerializer(steps, many=True, context={"acknowledged": _acknowledged(request.user)}).data)


class StepDetailApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("sop.view_step",)

    @extend_schema(operation_id="sop_step_retrieve", responses=StepDetailSerializer)
    def get(self, request, pk: int):
        step = get_object_or_404(Step.objects.select_related("current_version").prefetch_related("targets",
                                                                                                  "versions"), pk=pk)
        return Response(StepDetailSerializer(step, context={"acknowledged": _acknowledged(request.user)}).data)


class ReviseInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20_000)
    change_summary = serializers.CharField(max_length=2000)
    title = serializers.CharField(max_length=200, required=False)


class StepReviseApi(APIView):
    """Add a version of a step (Owner): staff must acknowledge it again."""

    permission_classes = [HasPerms]
    required_perms = ("sop.add_stepversion",)

    @extend_schema(operation_id="sop_step_revise", request=ReviseInputSerializer, responses={201: VersionSerializer})
    def post(self, request, pk: int):
        data = ReviseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.step_revise(step_id=pk, actor=request.user, **data.validated_data)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class AcknowledgeInputSerializer(serializers.Serializer):
    steps = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**62), required=False,
                                  max_length=1000, help_text="Step ids; leave out to acknowledge every pending step.")


class AcknowledgeOutputSerializer(serializers.Serializer):
    acknowledged = serializers.IntegerField()
    pending = serializers.IntegerField()


class AcknowledgementApi(JSONBodyOnly, APIView):
    permission_classes = [HasPerms]
    required_perms = ("sop.add_acknowledgement",)
    parser_classes = [JSONParser]  # a form body cannot say "no steps" apart from "every step"

    @extend_schema(operation_id="sop_acknowledge", request=AcknowledgeInputSerializer,
                   responses={200: AcknowledgeOutputSerializer})
    def post(self, request):
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.acknowledge_current(user=request.user, step_ids=data.validated_data.get("steps"))
        pending = len(selectors.pending_acknowledgements(user=request.user))
        return Response({"acknowledged": count, "pending": pending})


class ComplianceOutputSerializer(serializers.Serializer):
    step_id = serializers.IntegerField()
    stage = serializers.CharField()
    step = serializers.CharField()
    metric = serializers.CharField()
    threshold = serializers.DecimalField(max_digits=8, decimal_places=2)
    goal_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    available = serializers.BooleanField()
    message = serializers.CharField()
    total = serializers.IntegerField()
    met = serializers.IntegerField()
    share = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    breaches = serializers.ListField(child=serializers.CharField())


class ComplianceApi(APIView):
    permission_classes = [HasPerms]
    required_perms = ("sop.view_compliance",)

    @extend_schema(operation_id="sop_compliance",
                   parameters=[OpenApiParameter("start", str), OpenApiParameter("end", str)],
                   responses=ComplianceOutputSerializer(many=True))
    def get(self, request):
        form = RangeForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        rows = []
        for stage in selectors.compliance(start=form.cleaned_data["start"], end=form.cleaned_data["end"]):
            for c in stage["targets"]:
                rows.append({"step_id": c.target.step_id, "stage": stage["key"], "step": c.target.step.title,
                             "metric": c.target.metric, "threshold": c.target.threshold,
                             "goal_percent": c.target.goal_percent, "available": c.available, "message": c.message,
                             "total": c.total, "met": c.met, "share": c.share,
                             "breaches": [b["ref"] for b in c.breaches]})
        return Response(ComplianceOutputSerializer(rows, many=True).data)

"""REST API: /api/v1/cases/, /api/v1/returns/, /api/v1/reviews/.

Customer Service runs cases and approves returns; Warehouse receives and inspects returns; Finance
(aftersales.approve_refund) completes a return with a refund; Owner/Admin do everything.
Serializers validate, services write; errors use the shared body.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from aftersales import selectors
from aftersales.models import (
    Case,
    CaseCategory,
    CaseChannel,
    CaseKind,
    CasePriority,
    CaseStatus,
    Resolution,
    ReturnMethod,
    ReturnOutcome,
    ReturnRequest,
    Review,
    ReviewSource,
    ReviewStatus,
)
from aftersales.services import cases, returns, reviews
from core.drf import JSONBodyOnly, JSONParser
from core.errors import NotFound
from core.permissions import HasPerms
from core.serializers import IdField, MoneyField
from core.untrusted import parse_id
from orders.api import ERROR_BODY

# --- serializers -------------------------------------------------------------------------------


class CaseLineInput(serializers.Serializer):
    order_line_id = IdField()
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class CaseCreateInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=CaseKind.choices, default=CaseKind.COMPLAINT)
    category = serializers.ChoiceField(choices=CaseCategory.choices, default=CaseCategory.OTHER)
    priority = serializers.ChoiceField(choices=CasePriority.choices, default=CasePriority.NORMAL)
    channel = serializers.ChoiceField(choices=CaseChannel.choices, default=CaseChannel.STAFF)
    customer_id = IdField(required=False, allow_null=True, default=None)
    order_id = IdField(required=False, allow_null=True, default=None)
    lines = CaseLineInput(many=True, required=False, default=list, max_length=100)
    assignee_id = IdField(required=False, allow_null=True, default=None)


class MessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=5000)
    wait_for_customer = serializers.BooleanField(required=False, default=False)


class AssignInput(serializers.Serializer):
    assignee_id = IdField(allow_null=True)


class ResolveInput(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    voucher_amount = MoneyField(required=False, default=0)


class CaseReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class CaseMessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    channel = serializers.CharField()
    body = serializers.CharField()
    author = serializers.CharField(source="author.username", default=None, allow_null=True,
                                   help_text="Staff author; null for the customer's own messages.")
    created_at = serializers.DateTimeField()


class CaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    kind = serializers.CharField()
    category = serializers.CharField()
    priority = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.CharField()
    subject = serializers.CharField()
    description = serializers.CharField()
    customer_id = serializers.IntegerField(allow_null=True)
    order_id = serializers.IntegerField(allow_null=True)
    assignee_id = serializers.IntegerField(allow_null=True)
    resolution = serializers.CharField()
    resolution_note = serializers.CharField()
    first_response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    first_responded_at = serializers.DateTimeField(allow_null=True)
    sla_paused_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    marketplace_due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CaseDetailOutput(CaseOutput):
    messages = CaseMessageOutput(many=True)


class CaseFilterInput(serializers.Serializer):
    queue = serializers.ChoiceField(choices=["", "breached", "due_soon", "all"], required=False, default="")
    status = serializers.ChoiceField(choices=[("", ""), *CaseStatus.choices], required=False, default="")
    kind = serializers.ChoiceField(choices=[("", ""), *CaseKind.choices], required=False, default="")
    customer_id = IdField(required=False, default=None)


def _pk(value) -> int:
    pk = parse_id(value)
    if pk is None:
        raise NotFound(f"{value!r} does not exist.")
    return pk


@extend_schema_view(
    list=extend_schema(summary="Cases, most urgent first", parameters=[CaseFilterInput],
                       responses={200: CaseOutput(many=True), 400: ERROR_BODY}),
    retrieve=extend_schema(summary="One case with its conversation", responses={200: CaseDetailOutput,
                                                                                  404: ERROR_BODY}),
)
class CaseViewSet(JSONBodyOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Complaints, returns and warranty claims: one case family, one SLA clock."""

    parser_classes = [JSONParser]  # lines are a list of objects, which a form body cannot carry
    permission_classes = [HasPerms]
    required_perms = ("aftersales.view_case",)
    write_perms = ("aftersales.work_case",)
    serializer_class = CaseOutput
    filter_backends: list = []

    def get_queryset(self):
        params = CaseFilterInput(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.case_queue(queue=data["queue"], status=data["status"], kind=data["kind"],
                                    customer_id=data.get("customer_id"))

    def _detail(self, case_id: int) -> Response:
        case = Case.objects.prefetch_related("messages__author").filter(pk=case_id).first()
        if case is None:
            raise NotFound(f"Case {case_id} does not exist.")
        return Response(CaseDetailOutput(case).data)

    def retrieve(self, request, pk=None):
        return self._detail(_pk(pk))

    @extend_schema(summary="Open a case", request=CaseCreateInput, responses={201: CaseDetailOutput, 400: ERROR_BODY})
    def create(self, request):
        data = CaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        case = cases.case_open(
            subject=v["subject"], description=v["description"], kind=v["kind"], category=v["category"],
            priority=v["priority"], channel=v["channel"], customer_id=v["customer_id"], order_id=v["order_id"],
            lines=[cases.LineRequest(x["order_line_id"], x["quantity"]) for x in v["lines"]],
            assignee_id=v["assignee_id"], actor=request.user, source="api",
        )
        response = self._detail(case.pk)
        response.status_code = 201
        return response

    def _run(self, pk, serializer_class, call):
        params = serializer_class(data=self.request.data)
        params.is_valid(raise_exception=True)
        call(_pk(pk), params.validated_data)
        return self._detail(_pk(pk))

    @extend_schema(summary="Answer the customer (first reply stops the first-response clock)",
                   request=MessageInput, responses={200: CaseDetailOutput, 400: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        return self._run(pk, MessageInput, lambda case_id, v: cases.case_reply(
            case_id=case_id, body=v["body"], wait_for_customer=v["wait_for_customer"], actor=request.user,
            source="api"))

    @extend_schema(summary="Add an internal note", request=MessageInput, responses={200: CaseDetailOutput})
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        return self._run(pk, MessageInput, lambda case_id, v: cases.case_add_note(
            case_id=case_id, body=v["body"], actor=request.user))

    @extend_schema(summary="Assign the case", request=AssignInput, responses={200: CaseDetailOutput})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._run(pk, AssignInput, lambda case_id, v: cases.case_assign(
            case_id=case_id, assignee_id=v["assignee_id"], actor=request.user, source="api"))

    @extend_schema(summary="Wait for the customer (pauses the resolution clock)", request=None,
                   responses={200: CaseDetailOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def wait(self, request, pk=None):
        cases.case_wait_for_customer(case_id=_pk(pk), actor=request.user, source="api")
        return self._detail(_pk(pk))

    @extend_schema(summary="Resolve", request=ResolveInput, responses={200: CaseDetailOutput, 400: ERROR_BODY,
                                                                        409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._run(pk, ResolveInput, lambda case_id, v: cases.case_resolve(
            case_id=case_id, resolution=v["resolution"], note=v["note"], voucher_amount=v["voucher_amount"],
            actor=request.user, source="api"))

    @extend_schema(summary="Close a resolved case", request=None, responses={200: CaseDetailOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        cases.case_close(case_id=_pk(pk), actor=request.user, source="api")
        return self._detail(_pk(pk))

    @extend_schema(summary="Reopen a resolved or closed case", request=CaseReasonInput,
                   responses={200: CaseDetailOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._run(pk, CaseReasonInput, lambda case_id, v: cases.case_reopen(
            case_id=case_id, reason=v["reason"], actor=request.user, source="api"))


# --- returns -----------------------------------------------------------------------------------


class ReturnLineInput(serializers.Serializer):
    order_line_id = IdField()
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnCreateInput(serializers.Serializer):
    order_id = IdField()
    lines = ReturnLineInput(many=True, max_length=100)
    reason = serializers.ChoiceField(choices=CaseCategory.choices)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    requested_outcome = serializers.ChoiceField(choices=ReturnOutcome.choices, default=ReturnOutcome.REFUND)
    outside_window_note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnApproveInput(serializers.Serializer):
    method = serializers.ChoiceField(
        choices=ReturnMethod.choices, default=ReturnMethod.DROP_OFF,
        help_text="How the parcel comes back: drop_off (the customer takes it to a courier) and pickup (a courier "
                  "collects it) get a return shipment in the shipping app; in_person is received by hand.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReturnShipInput(serializers.Serializer):
    courier = serializers.CharField(max_length=60)
    tracking_number = serializers.CharField(max_length=64)


class InspectLineInput(serializers.Serializer):
    return_line_id = IdField()
    resellable = serializers.IntegerField(min_value=0, max_value=100_000)
    damaged = serializers.IntegerField(min_value=0, max_value=100_000)
    missing = serializers.IntegerField(min_value=0, max_value=100_000, default=0)


class InspectInput(serializers.Serializer):
    lines = InspectLineInput(many=True, max_length=100)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CompleteInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReturnOutcome.choices)
    amount = MoneyField(min_value=1, required=False, allow_null=True, default=None,
                   help_text="Refund or voucher amount; default the value of the returned items.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReturnNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReturnLineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order_line_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    resellable_quantity = serializers.IntegerField()
    damaged_quantity = serializers.IntegerField()
    missing_quantity = serializers.IntegerField()


class ReturnOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    case_id = serializers.IntegerField()
    order_id = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    requested_outcome = serializers.CharField()
    outcome = serializers.CharField()
    return_method = serializers.CharField()
    return_shipment_id = serializers.IntegerField(allow_null=True)
    return_courier = serializers.CharField()
    return_tracking_number = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    refund_amount = serializers.IntegerField()
    refund_id = serializers.IntegerField(allow_null=True)
    replacement_order_id = serializers.IntegerField(allow_null=True)
    voucher_code = serializers.CharField()
    lines = ReturnLineOutput(many=True)
    created_at = serializers.DateTimeField()


_RETURN_ACTION_PERMS = {
    "create": ("aftersales.work_case",), "approve": ("aftersales.approve_return",),
    "reject": ("aftersales.approve_return",), "cancel": ("aftersales.approve_return",),
    "ship": ("aftersales.approve_return",), "receive": ("aftersales.receive_return",),
    "inspect": ("aftersales.receive_return",), "complete": (),  # by outcome, in the action
}


@extend_schema_view(
    list=extend_schema(summary="Returns (RMA)", responses={200: ReturnOutput(many=True)}),
    retrieve=extend_schema(summary="One return", responses={200: ReturnOutput, 404: ERROR_BODY}),
)
class ReturnViewSet(JSONBodyOnly, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Returns: CS approves, the warehouse receives and inspects, Finance approves refunds."""

    parser_classes = [JSONParser]  # lines are a list of objects, which a form body cannot carry
    permission_classes = [HasPerms]
    required_perms = ("aftersales.view_returnrequest",)
    action_perms = _RETURN_ACTION_PERMS
    serializer_class = ReturnOutput
    filter_backends: list = []

    def get_queryset(self):
        status = self.request.query_params.get("status", "")[:100]
        return selectors.return_list(status=status)

    def _detail(self, return_id: int) -> Response:
        rma = ReturnRequest.objects.prefetch_related("lines").filter(pk=return_id).first()
        if rma is None:
            raise NotFound(f"Return {return_id} does not exist.")
        return Response(ReturnOutput(rma).data)

    def retrieve(self, request, pk=None):
        return self._detail(_pk(pk))

    @extend_schema(summary="Open a return for some lines of a delivered order", request=ReturnCreateInput,
                   responses={201: ReturnOutput, 400: ERROR_BODY})
    def create(self, request):
        data = ReturnCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rma = returns.return_request_create(
            order_id=v["order_id"], lines=[returns.ReturnLineRequest(x["order_line_id"], x["quantity"], x["note"])
                                           for x in v["lines"]],
            reason=v["reason"], description=v["description"], requested_outcome=v["requested_outcome"],
            actor=request.user, source="api", outside_window_note=v["outside_window_note"],
        )
        response = self._detail(rma.pk)
        response.status_code = 201
        return response

    def _run(self, pk, serializer_class, call):
        params = serializer_class(data=self.request.data)
        params.is_valid(raise_exception=True)
        call(_pk(pk), params.validated_data)
        return self._detail(_pk(pk))

    @extend_schema(summary="Approve, with how the parcel comes back", request=ReturnApproveInput,
                   responses={200: ReturnOutput, 400: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._run(pk, ReturnApproveInput, lambda i, v: returns.return_approve(
            return_id=i, actor=request.user, note=v["note"], method=v["method"], source="api"))

    @extend_schema(summary="Reject", request=CaseReasonInput, responses={200: ReturnOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._run(pk, CaseReasonInput, lambda i, v: returns.return_reject(return_id=i, reason=v["reason"],
                                                                            actor=request.user, source="api"))

    @extend_schema(summary="Cancel", request=CaseReasonInput, responses={200: ReturnOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._run(pk, CaseReasonInput, lambda i, v: returns.return_cancel(return_id=i, reason=v["reason"],
                                                                            actor=request.user, source="api"))

    @extend_schema(summary="Record the return parcel's courier and resi", request=ReturnShipInput,
                   responses={200: ReturnOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        return self._run(pk, ReturnShipInput, lambda i, v: returns.return_ship(
            return_id=i, courier=v["courier"], tracking_number=v["tracking_number"], actor=request.user,
            source="api"))

    @extend_schema(summary="The warehouse received the parcel", request=ReturnNoteInput,
                   responses={200: ReturnOutput, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        return self._run(pk, ReturnNoteInput, lambda i, v: returns.return_receive(return_id=i, actor=request.user,
                                                                           note=v["note"], source="api"))

    @extend_schema(summary="Inspect (resellable back to stock once, damaged written off)", request=InspectInput,
                   responses={200: ReturnOutput, 400: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def inspect(self, request, pk=None):
        return self._run(pk, InspectInput, lambda i, v: returns.return_inspect(
            return_id=i, actor=request.user, note=v["note"], source="api",
            results=[returns.InspectionResult(x["return_line_id"], x["resellable"], x["damaged"], x["missing"])
                     for x in v["lines"]]))

    @extend_schema(summary="Give the outcome (a refund needs aftersales.approve_refund, the others "
                           "aftersales.approve_return)", request=CompleteInput,
                   responses={200: ReturnOutput, 400: ERROR_BODY, 403: ERROR_BODY, 409: ERROR_BODY})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        refund = request.data.get("outcome") == ReturnOutcome.REFUND
        if not request.user.has_perm("aftersales.approve_refund" if refund else "aftersales.approve_return"):
            raise PermissionDenied("Refunds are approved by Finance." if refund else "Your role does not allow this.")
        return self._run(pk, CompleteInput, lambda i, v: returns.return_complete(
            return_id=i, outcome=v["outcome"], actor=request.user, note=v["note"], source="api",
            refund_amount=v["amount"] if v["outcome"] == ReturnOutcome.REFUND else None,
            voucher_amount=v["amount"] if v["outcome"] == ReturnOutcome.VOUCHER else None))


# --- reviews -----------------------------------------------------------------------------------


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order_id = serializers.IntegerField(allow_null=True)
    order_line_id = serializers.IntegerField(allow_null=True)
    product_id = serializers.IntegerField(allow_null=True)
    customer_id = serializers.IntegerField(allow_null=True)
    reviewer_name = serializers.CharField()
    rating = serializers.IntegerField()
    text = serializers.CharField()
    source = serializers.CharField()
    external_ref = serializers.CharField()
    status = serializers.CharField()
    reply = serializers.CharField()
    case_id = serializers.IntegerField(allow_null=True)
    reviewed_at = serializers.DateTimeField()


class ReviewEnterInput(serializers.Serializer):
    source = serializers.ChoiceField(choices=ReviewSource.choices)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="")
    product_id = IdField(required=False, allow_null=True, default=None)
    order_id = IdField(required=False, allow_null=True, default=None)
    reviewer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    external_ref = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    reviewed_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ModerateInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[ReviewStatus.PUBLISHED, ReviewStatus.HIDDEN])


class ReplyInput(serializers.Serializer):
    reply = serializers.CharField(max_length=2000)


@extend_schema_view(
    list=extend_schema(summary="Reviews (queue=moderate|unanswered|low)", responses={200: ReviewOutput(many=True)}),
    retrieve=extend_schema(summary="One review", responses={200: ReviewOutput, 404: ERROR_BODY}),
)
class ReviewViewSet(JSONBodyOnly, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasPerms]
    required_perms = ("aftersales.view_review",)
    write_perms = ("aftersales.moderate_review",)
    serializer_class = ReviewOutput
    parser_classes = [JSONParser]  # reviews are entered as JSON: no form field reads "" as "not given"
    filter_backends: list = []
    queryset = Review.objects.all()

    def get_queryset(self):
        queue = self.request.query_params.get("queue", "")
        return selectors.review_list(queue=queue if queue in ("moderate", "unanswered", "low") else "")

    def get_object(self):
        review = Review.objects.filter(pk=_pk(self.kwargs["pk"])).first()
        if review is None:
            raise NotFound("Review does not exist.")
        return review

    @extend_schema(summary="Enter a marketplace review", request=ReviewEnterInput,
                   responses={201: ReviewOutput, 400: ERROR_BODY})
    def create(self, request):
        data = ReviewEnterInput(data=request.data)
        data.is_valid(raise_exception=True)
        review = reviews.review_enter(**data.validated_data, actor=request.user)
        return Response(ReviewOutput(review).data, status=201)

    @extend_schema(summary="Publish or hide", request=ModerateInput, responses={200: ReviewOutput})
    @action(detail=True, methods=["post"])
    def moderate(self, request, pk=None):
        data = ModerateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(ReviewOutput(reviews.review_moderate(review_id=_pk(pk), status=data.validated_data["status"],
                                                             actor=request.user)).data)

    @extend_schema(summary="Reply publicly", request=ReplyInput, responses={200: ReviewOutput})
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        data = ReplyInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(ReviewOutput(reviews.review_reply(review_id=_pk(pk), text=data.validated_data["reply"],
                                                          actor=request.user)).data)

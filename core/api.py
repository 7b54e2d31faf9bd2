"""API plumbing shared by every app: pagination and one JSON error body.

Every error answer has the same shape::

    {"error": {"code": "validation_error", "message": "...", "fields": {"sku": ["..."]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import untrusted
from core.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
    max_page = 1_000_000  # in the schema only: a page past the last is a 404 anyway

    def _strict_int(self, request, name: str, maximum: int) -> None:
        """A page or page size that is present must be a whole number in range: 400, not silently page 1."""
        if name not in request.query_params:
            return
        value = untrusted.parse_id(request.query_params.get(name))
        if value is None or value > maximum:
            raise exceptions.ValidationError({name: [f"A whole number from 1 to {maximum}."]})

    def paginate_queryset(self, queryset, request, view=None):
        self._strict_int(request, self.page_query_param, self.max_page)
        self._strict_int(request, self.page_size_query_param, self.max_page_size)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {})
            schema["minimum"] = 1
            schema["maximum"] = self.max_page_size if parameter["name"] == self.page_size_query_param else self.max_page
        return parameters


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    body = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return {"error": body}


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        return f"{key}: {_first_message(value)}"
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, **({"detail": exc.detail} if exc.detail else {})),
            status=exc.http_status,
        )
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(fields)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("validation_error", _first_message(detail), fields=detail)
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if not isinstance(code, str):
            code = "error"
        message = _first_message(exc.detail) if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = error_body(code, message)
    return response


# --- bounded numbers -----------------------------------------------------------------------------
# Every integer a client sends is bounded, so a number PostgreSQL cannot store (or a sum of them
# that overflows bigint) is a 400 naming the field, never a 500. tests/core/test_api_bounds.py
# checks every integer in the schema's request bodies and parameters has a maximum.
# Amounts are core.serializers.MoneyField (the one money field: the parser and MAX_AMOUNT of core.money).
BIGINT_MAX = 2**63 - 1
MAX_QUANTITY = 1_000_000


def IdField(**kwargs) -> serializers.IntegerField:
    """A database id: 1 to the bigint maximum."""
    kwargs.setdefault("min_value", 1)
    kwargs.setdefault("max_value", BIGINT_MAX)
    return serializers.IntegerField(**kwargs)


def QuantityField(**kwargs) -> serializers.IntegerField:
    """A count of units, 0 to MAX_QUANTITY unless narrowed (negative for a stock change)."""
    kwargs.setdefault("min_value", 0)
    kwargs.setdefault("max_value", MAX_QUANTITY)
    return serializers.IntegerField(**kwargs)


# --- the schema tells every answer -----------------------------------------------------------------
ERROR_BODY_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {}},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
# Answers any operation may give besides its own: bad input or query string (400), no or a bad
# token (401), a role without the permission (403), an unknown id or page (404), a body type it
# does not read (415), a backend briefly gone (503); uploads also 413.
COMMON_ERRORS = {
    "400": "Invalid input: the body, a parameter or the query string (message and fields say what).",
    "401": "No credentials, or a token that is not valid.",
    "403": "The account's role does not allow this.",
    "404": "No such object (or page).",
    "406": "The Accept header asks for a type the API does not produce.",
    "415": "The request body's Content-Type is not one this operation reads.",
    "503": "The database or Redis is briefly unreachable; retry later.",
}


def document_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: every operation documents the shared error answers."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorBody", ERROR_BODY_SCHEMA)
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("type") == "integer":
                    schema.setdefault("minimum", 1)
                    schema.setdefault("maximum", BIGINT_MAX)
            responses = operation["responses"]
            wanted = dict(COMMON_ERRORS)
            if method == "get" or "requestBody" not in operation:
                wanted.pop("415")
            request_body = operation.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in request_body:
                wanted["413"] = "The uploaded file is larger than allowed."
            for code, description in wanted.items():
                responses.setdefault(code, {"description": description, "content": reference})
            for code, response in responses.items():  # an error documented without a body has ours
                if code.startswith(("4", "5")) and not response.get("content"):
                    response["content"] = reference
    return result

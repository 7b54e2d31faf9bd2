"""One guard for every request: bad input is a clear 4xx, an unreachable backend a fast 503.

`RequestGuardMiddleware` (early in MIDDLEWARE, before CSRF reads a form):

- refuses a query string, or a form posted to a dashboard or customer page, that holds a NUL
  character (PostgreSQL text cannot hold one, so it could only end in a 500) with 400;
- applies `upload_limit(max_bytes)` of the view: a body whose Content-Length is over the limit is
  answered 413 before a byte is read, and the upload is streamed through a handler that stops at
  the limit, so a lying or chunked body never lands in memory or on disk beyond it;
- maps what a view raises when a backend is gone or a value does not fit: the database or Redis
  unreachable (OperationalError, PoolTimeout, redis ConnectionError/TimeoutError) -> 503 with a
  generic body and Retry-After (details only in the log); a value out of the column's range
  (DataError) -> 400.

`server_error` (handler500) maps the same exceptions when they escape a middleware instead of
a view; anything else stays a 500 with a generic page.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from core.untrusted import is_clean_text

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


# --- uploads ---------------------------------------------------------------------------------------


def upload_limit(max_bytes: int | Callable[[], int]):
    """Mark a view as taking uploads of at most `max_bytes` (a number, or a callable read per request).

    The request body may carry a little form data besides the file: the limit applies to the
    file(s) themselves, and the body to the limit plus 64 KB.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            return view(request, *args, **kwargs)

        wrapped.upload_max_bytes = max_bytes
        return wrapped

    return decorator


FORM_OVERHEAD_BYTES = 64 * 1024


class UploadTooLarge(StopUpload):
    pass


class CappedUploadHandler(FileUploadHandler):
    """Keeps each uploaded file in memory up to `max_bytes` and stops the upload beyond it.

    The body is read in 64 KB chunks by Django's multipart parser: memory stays at most the
    limit plus a chunk, whatever the client sends.
    """

    chunk_size = 64 * 1024

    def __init__(self, request=None, *, max_bytes: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        from io import BytesIO

        self.file = BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.too_large = True
            self.file.close()  # drop what was kept; the parser closes it again
            raise UploadTooLarge(connection_reset=True)  # the rest of the body is never read
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        from django.core.files.uploadedfile import InMemoryUploadedFile

        self.file.seek(0)
        self.received = 0
        return InMemoryUploadedFile(
            file=self.file, field_name=self.field_name, name=self.file_name, content_type=self.content_type,
            size=file_size, charset=self.charset, content_type_extra=self.content_type_extra,
        )


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 1024 * 1024 else f"{size / (1024 * 1024):.1f}"


def _upload_limit_of(view_func) -> int:
    """The view's upload_limit (also on a DRF or class-based view's class), else UPLOAD_MAX_BYTES."""
    from django.conf import settings

    limit = getattr(view_func, "upload_max_bytes", None)
    for holder in (getattr(view_func, "cls", None), getattr(view_func, "view_class", None)):
        if limit is None and holder is not None:
            limit = getattr(holder, "upload_max_bytes", None)
    if limit is None:
        limit = settings.UPLOAD_MAX_BYTES
    return limit() if callable(limit) else int(limit)


# --- answers ---------------------------------------------------------------------------------------


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(request: HttpRequest, *, status: int, code: str, message: str) -> HttpResponse:
    """The API's JSON error body under /api/, a small page in the UI language elsewhere."""
    if _is_api(request) or request.path.startswith("/webhooks/"):
        response: HttpResponse = JsonResponse({"error": {"code": code, "message": message}}, status=status)
    else:
        html = loader.render_to_string("core/error.html", {"status": status, "message": message})
        response = HttpResponse(html, status=status)
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _unavailable_exceptions() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from psycopg_pool import PoolTimeout

        found.append(PoolTimeout)
    except ImportError:  # pragma: no cover - psycopg_pool is a runtime dependency
        pass
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        found += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(found)


UNAVAILABLE = _unavailable_exceptions()


def response_for_exception(request: HttpRequest, exc: BaseException) -> HttpResponse | None:
    """503 for a backend that is gone, 400 for a value the database refuses, 429 when throttled."""
    from core.ratelimit import Throttled

    if isinstance(exc, Throttled):
        response = error_response(request, status=429, code="throttled",
                                  message=_("Too many attempts. Please wait a few minutes and try again."))
        response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, UNAVAILABLE):
        logger.error("backend unavailable on %s %s: %s: %s", request.method, request.path, type(exc).__name__, exc)
        return error_response(
            request, status=503, code="unavailable",
            message=_("The service is briefly unavailable. Please try again in a minute."),
        )
    if isinstance(exc, RequestDataTooBig):
        return error_response(request, status=413, code="too_large",
                              message=_("The request is too large."))
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return error_response(request, status=400, code="too_many_fields",
                              message=_("The request has too many fields or files."))
    if isinstance(exc, SuspiciousOperation):
        logger.warning("suspicious request on %s %s: %s", request.method, request.path, exc)
        return error_response(request, status=400, code="bad_request", message=_("The request is not valid."))
    if isinstance(exc, DataError) or (isinstance(exc, DatabaseError) and "out of range" in str(exc)):
        logger.warning("value refused by the database on %s %s: %s", request.method, request.path, exc,
                       exc_info=exc)
        return error_response(
            request, status=400, code="invalid_value",
            message=_("A value in the request is too large or not valid here."),
        )
    return None


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """handler400: what Django refuses before a view (too many fields, a bad host...) says so, in JSON under /api/."""
    if exception is not None:
        mapped = response_for_exception(request, exception)
        if mapped is not None:
            return mapped
    return error_response(request, status=400, code="bad_request", message=_("The request is not valid."))


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404: the API's JSON error body under /api/ (an id that is not a number, say), else the page."""
    if _is_api(request):
        return error_response(request, status=404, code="not_found", message=_("Not found."))
    from django.views.defaults import page_not_found as default

    return default(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the same mapping for exceptions raised outside views, else a generic 500."""
    exc = sys.exc_info()[1]
    if exc is not None:
        mapped = response_for_exception(request, exc)
        if mapped is not None:
            return mapped
    return error_response(request, status=500, code="server_error",
                          message=_("Something went wrong on our side. Please try again later."))


# --- the middleware --------------------------------------------------------------------------------


class RequestGuardMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.method in ("POST", "PUT", "PATCH") and request.content_type == "multipart/form-data":
            refused = self._limit_upload(request, _upload_limit_of(view_func))
            if refused is not None:
                return refused
        if not self._clean_query(request):
            return error_response(request, status=400, code="invalid_query",
                                  message=_("The address contains a NUL character; remove it and try again."))
        if (
            request.method == "POST"
            and not _is_api(request)
            and not getattr(view_func, "csrf_exempt", False)
            and not self._clean_form(request)
        ):
            return error_response(request, status=400, code="invalid_form",
                                  message=_("The form contains a NUL character or invalid text; please retype it."))
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return response_for_exception(request, exception)

    @staticmethod
    def _limit_upload(request: HttpRequest, limit: int) -> HttpResponse | None:
        too_large = error_response(
            request, status=413, code="too_large",
            message=_("The file is larger than %(mb)s MB.") % {"mb": _mb(limit)},
        )
        declared = _declared_length(request)
        if declared is not None and declared > limit + FORM_OVERHEAD_BYTES:
            return too_large  # refused by its Content-Length: not a byte of the body is read
        handler = CappedUploadHandler(request, max_bytes=limit)
        request.upload_handlers = [handler]
        # Parse now (CSRF would a moment later anyway), so an upload stopped at the limit is a 413
        # with a message, not a form that lost its file.
        request.FILES  # noqa: B018
        if handler.too_large:
            return too_large
        return None

    @staticmethod
    def _clean_query(request: HttpRequest) -> bool:
        raw = request.META.get("QUERY_STRING", "")
        if not raw:
            return True
        if "%00" in raw or "\x00" in raw:
            return False
        return all(is_clean_text(key) and all(is_clean_text(v) for v in values) for key, values in request.GET.lists())

    @staticmethod
    def _clean_form(request: HttpRequest) -> bool:
        try:
            form = request.POST
        except UploadTooLarge:  # pragma: no cover - the parser stops quietly; the view sees no file
            return True
        for key, values in form.lists():
            if not is_clean_text(key) or not all(is_clean_text(value) for value in values):
                return False
        return True

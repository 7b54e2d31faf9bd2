"""The API shell: authentication, one error body, pagination defaults and the OpenAPI schema."""

import pytest
from django.core.management import call_command
from django.utils import translation
from rest_framework import serializers
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core import roles
from core.errors import InvalidTransition


@pytest.mark.django_db
def test_token_from_drf_create_token_authenticates(make_user, capsys):
    make_user(roles.FINANCE, username="keuangan")
    call_command("drf_create_token", "keuangan")
    token = capsys.readouterr().out.split()[2]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json() == {"username": "keuangan", "full_name": response.json()["full_name"], "roles": ["Finance"]}


@pytest.mark.django_db
def test_unauthenticated_request_gets_the_error_body_in_the_requested_language():
    english = APIClient().get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    indonesian = APIClient().get("/api/v1/me/")

    assert english.status_code == indonesian.status_code == 401
    assert english.json() == {
        "error": {"code": "not_authenticated", "message": "Authentication credentials were not provided."}
    }
    assert indonesian.json()["error"]["code"] == "not_authenticated"
    assert indonesian.json()["error"]["message"] == "Data autentikasi tidak diberikan."


@pytest.mark.django_db
def test_unknown_endpoint_is_404():
    assert APIClient().get("/api/v1/nothing-here/").status_code == 404


class _Input(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)


class _Probe(APIView):
    def post(self, request):
        data = _Input(data=request.data)
        data.is_valid(raise_exception=True)
        raise InvalidTransition(entity="Order", current="shipped", target="cancelled")


@pytest.mark.django_db
def test_validation_errors_name_the_field_and_the_reason(make_user):
    request = APIRequestFactory().post("/probe", {"sku": "", "quantity": 0}, format="json")
    force_authenticate(request, make_user(roles.OWNER))

    with translation.override("en"):
        response = _Probe.as_view()(request)

    assert response.status_code == 400
    body = response.data["error"]
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"sku", "quantity"}
    assert "greater than or equal to 1" in str(body["fields"]["quantity"][0])


@pytest.mark.django_db
def test_domain_errors_become_409_with_their_code(make_user):
    request = APIRequestFactory().post("/probe", {"sku": "KAOS-M", "quantity": 1}, format="json")
    force_authenticate(request, make_user(roles.OWNER))

    response = _Probe.as_view()(request)

    assert response.status_code == 409
    assert response.data["error"]["code"] == "invalid_transition"
    assert response.data["error"]["detail"] == {"current": "shipped", "target": "cancelled"}


@pytest.mark.django_db
def test_openapi_schema_is_served(staff_client):
    response = staff_client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "oms API"
    assert "/api/v1/me/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


@pytest.mark.django_db
def test_api_docs_page_uses_local_assets_only(staff_client):
    response = staff_client().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


@pytest.mark.django_db
def test_openapi_schema_of_every_app_is_valid_and_warning_free(tmp_path):
    # Warnings here also fail `check --deploy` in CI; catching them in the suite names the cause.
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate", "--fail-on-warn")

    assert "/api/v1/orders/" in (tmp_path / "schema.yml").read_text()


@pytest.mark.django_db
def test_the_api_schema_and_docs_need_a_staff_log_in(client, staff_client):
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and "/accounts/login/" in docs["Location"]

    staff = staff_client()
    assert staff.get("/api/schema/").status_code == 200
    assert staff.get("/api/docs/").status_code == 200

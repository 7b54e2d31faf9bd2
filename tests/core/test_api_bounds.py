"""Every integer a client can send is bounded, and bad ids and amounts are a 400 that says so."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from core import roles

pytestmark = pytest.mark.django_db


def _integers_without_maximum(node, where: str, found: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer" and "maximum" not in node and not node.get("readOnly"):
            found.append(where)
        for key, value in node.items():
            _integers_without_maximum(value, f"{where}.{key}", found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _integers_without_maximum(value, f"{where}[{index}]", found)


def test_every_integer_in_request_bodies_and_parameters_has_a_maximum():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found: list[str] = []
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: the shapes clients send
            _integers_without_maximum(component, name, found)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _integers_without_maximum(parameter.get("schema", {}), f"{method} {path} ?{parameter['name']}",
                                              found)

    assert not found, "integers a client sends without a maximum:\n" + "\n".join(found)


@pytest.mark.parametrize(("path", "status"), [
    ("/api/v1/variants/?product=%C2%B2", 400),  # "²": isdigit() but not int()
    ("/api/v1/variants/?product=99999999999999999999999", 400),
    ("/api/v1/orders/?channel=%C2%B2", 400),
    ("/api/v1/orders/?channel=99999999999999999999999", 400),
    ("/api/v1/payments/?order=%D9%A3", 200),  # Arabic-Indic three: an order number that matches nothing
    ("/api/v1/payments/?order=99999999999999999999999", 200),
    ("/api/v1/orders/99999999999999999999999/", 404),
    ("/api/v1/payments/99999999999999999999999/", 404),
    ("/api/v1/products/?page=99999999999999999999999", 400),
    ("/api/v1/products/?page=500", 404),
])
def test_unicode_digits_and_huge_ids_in_filters_are_answered_without_a_500(api_client, path, status):
    response = api_client(roles.OWNER).get(path)

    assert response.status_code == status


def test_an_amount_beyond_bigint_is_a_400_naming_the_field(api_client):
    response = api_client(roles.OWNER).post("/api/v1/orders/", {
        "channel": "WEB", "customer": {"name": "Budi", "phone": "081234567890"},
        "lines": [{"sku": "X", "quantity": 1, "unit_price_amount": 5 * 10**18}],
    }, format="json")

    assert response.status_code == 400
    assert "unit_price_amount" in str(response.json()["error"]["fields"])


@pytest.mark.parametrize("body", [
    b'{"name": "' + b"a\\u0000b" + b'"}',
    b'{"name": "\\ud800"}',
    b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
])
def test_json_with_nul_surrogates_or_deep_nesting_is_a_400(api_client, body):
    response = api_client(roles.OWNER).post("/api/v1/products/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"

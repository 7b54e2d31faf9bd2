"""Templates render real texts in both languages, and only inside the sandbox."""

from __future__ import annotations

import pytest

from notifications import rendering
from notifications.models import TEMPLATED_EVENTS, NotificationChannel, NotificationTemplate
from orders.models import OrderStatus
from tests.notifications.factories import OrderFactory

pytestmark = pytest.mark.django_db


def render_with(body: str, context: dict | None = None, language: str = "id") -> str:
    return rendering.render(subject="", body=body, context=context or {}, language=language).body


def test_every_event_has_a_template_for_every_channel_and_language():
    combos = set(NotificationTemplate.objects.values_list("event", "channel", "language"))

    assert combos == {
        (event, channel, language)
        for event in TEMPLATED_EVENTS
        for channel in NotificationChannel.values
        for language in ("id", "en")
    }


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_default_template_renders_with_the_order_number_amount_and_link(language):
    order = OrderFactory(status=OrderStatus.SHIPPED, courier="JNE REG", tracking_number="JNE0123456789")
    context = rendering.order_context(order, language=language)

    for template in NotificationTemplate.objects.filter(language=language):
        rendered = rendering.render(subject=template.subject, body=template.body, context=context, language=language)
        assert order.number in rendered.body, template
        assert rendering.tracking_link(order) in rendered.body, template
        assert "{{" not in rendered.body and "{%" not in rendered.body, template
        if template.channel == NotificationChannel.EMAIL:
            assert order.number in rendered.subject, template


def test_the_indonesian_confirmation_lists_items_and_totals_in_rupiah():
    order = OrderFactory()
    template = NotificationTemplate.objects.get(event="order_confirmation", channel="email", language="id")

    rendered = rendering.render(subject=template.subject, body=template.body,
                                context=rendering.order_context(order, language="id"), language="id")

    assert rendered.subject == f"Pesanan {order.number} sudah kami terima"
    assert rendered.body.startswith(f"Halo {order.customer.name},")
    assert "- Kemeja Batik Parang × 2: Rp 650.000" in rendered.body
    assert "Total belanja: Rp 1.250.000" in rendered.body
    assert "Ongkos kirim: Rp 18.000" in rendered.body
    assert "Total pembayaran: Rp 1.268.000" in rendered.body
    assert "Cara pembayaran:" in rendered.body


def test_the_english_shipping_message_names_the_courier_and_tracking_number():
    order = OrderFactory(status=OrderStatus.SHIPPED, courier="SiCepat", tracking_number="SCP998877")
    template = NotificationTemplate.objects.get(event="order_shipped", channel="whatsapp", language="en")

    body = rendering.render(subject="", body=template.body,
                            context=rendering.order_context(order, language="en"), language="en").body

    assert f"Your order *{order.number}* is on its way with *SiCepat*." in body
    assert "Tracking number: *SCP998877*" in body


def test_payment_instructions_appear_only_while_the_order_awaits_payment():
    template = NotificationTemplate.objects.get(event="order_confirmation", channel="whatsapp", language="id")
    unpaid = OrderFactory()
    paid = OrderFactory(status=OrderStatus.PAID)

    def body(order):
        ctx = rendering.order_context(order, language="id") | {"payment_instructions": "BCA VA 8808 1234"}
        return rendering.render(subject="", body=template.body, context=ctx, language="id").body

    assert "BCA VA 8808 1234" in body(unpaid)
    assert "BCA VA 8808 1234" not in body(paid)


def test_other_apps_can_add_whitelisted_values_such_as_payment_instructions(monkeypatch):
    monkeypatch.setattr(rendering, "_extenders", [])
    order = OrderFactory()
    rendering.register_context_extender(
        lambda o, language: {"payment_instructions": f"VA {o.number}", "secret_key": "leak"}
    )

    context = rendering.order_context(order, language="id")

    assert context["payment_instructions"] == f"VA {order.number}"
    assert "secret_key" not in context


def test_a_broken_extender_does_not_stop_the_message(monkeypatch):
    monkeypatch.setattr(rendering, "_extenders", [(lambda o, language: 1 / 0, None)])

    context = rendering.order_context(OrderFactory(), language="id")

    assert context["payment_instructions"] == ""


def test_the_rupiah_filter_formats_whole_rupiah():
    assert render_with("{{ order_total_amount|rupiah }}", {"order_total_amount": 1250000}) == "Rp 1.250.000"


def test_only_whitelisted_variables_reach_the_template():
    order = OrderFactory()

    body = render_with("[{{ order.customer.email }}][{{ settings.SECRET_KEY }}][{{ request }}][{{ order_number }}]",
                       {"order": order, "settings": object(), "order_number": "X-1"})

    assert body == "[][][][X-1]"


def test_model_instances_never_reach_the_template_even_through_an_extender(monkeypatch):
    order = OrderFactory()
    monkeypatch.setattr(rendering, "_extenders", [(lambda o, language: {"courier": o.customer}, None)])

    context = rendering.order_context(order, language="id")
    body = render_with("{{ courier.email }}|{{ courier.pk }}|{{ courier }}", context)

    assert body == f"||{order.customer.name}"


def test_private_attributes_are_refused():
    with pytest.raises(rendering.TemplateError, match="underscores"):
        render_with("{{ customer_name.__class__.__mro__ }}", {"customer_name": "Budi"})


@pytest.mark.parametrize(
    "source",
    [
        "{% debug %}",
        "{% load oms %}{{ 1|rupiah }}",
        '{% include "base.html" %}',
        '{% extends "base.html" %}',
        '{% url "admin:index" %}',
        '{% csrf_token %}',
        '{{ customer_name|center:"99999999" }}',
        "{{ customer_name|safe }}",
        "{% if %}",
        "{% for x in %}{% endfor %}",
    ],
)
def test_unsafe_or_invalid_templates_are_refused_with_a_reason(source):
    with pytest.raises(rendering.TemplateError) as error:
        rendering.validate_template(source)

    assert str(error.value)


def test_blank_lines_left_by_conditions_are_collapsed():
    body = render_with("Halo\n{% if no %}\nx\n{% endif %}\n\n\nSampai jumpa  ", {})

    assert body == "Halo\n\nSampai jumpa"

"""Default messages for the shipping events (resi assigned, out for delivery), in Bahasa Indonesia
and English, for e-mail, WhatsApp and SMS. Texts are kept here so the migration never changes."""

from django.db import migrations, models

TEXTS = {
    "order_resi_assigned": {
        "id": {
            "subject": "Pesanan {{ order_number }} sudah punya nomor resi",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Paket pesanan {{ order_number }} sudah kami siapkan dan mendapat nomor resi.\n\n"
                "Kurir: {{ courier }}\nNomor resi: {{ tracking_number }}\n"
                "{% if courier_tracking_link %}Lacak di situs kurir: {{ courier_tracking_link }}\n{% endif %}\n"
                "Status lengkap pesanan Anda: {{ tracking_link }}\n\nSalam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 👋\n\nPaket pesanan *{{ order_number }}* sudah punya resi:\n"
                "Kurir: {{ courier }}\nResi: *{{ tracking_number }}*\n\nLacak paket: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Pesanan {{ order_number }} resi {{ courier }} {{ tracking_number }}. Lacak: {{ tracking_link }}",
        },
        "en": {
            "subject": "Your order {{ order_number }} has a tracking number",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "The parcel of your order {{ order_number }} is ready and has its tracking number (resi).\n\n"
                "Courier: {{ courier }}\nTracking number: {{ tracking_number }}\n"
                "{% if courier_tracking_link %}Track it on the courier's site: {{ courier_tracking_link }}\n{% endif %}\n"
                "Your order status: {{ tracking_link }}\n\nBest regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 👋\n\nYour order *{{ order_number }}* has its tracking number:\n"
                "Courier: {{ courier }}\nResi: *{{ tracking_number }}*\n\nTrack it: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Order {{ order_number }} resi {{ courier }} {{ tracking_number }}. Track: {{ tracking_link }}",
        },
    },
    "order_out_for_delivery": {
        "id": {
            "subject": "Paket {{ order_number }} sedang diantar hari ini",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Kurir {{ courier }} sedang mengantar paket pesanan {{ order_number }} (resi {{ tracking_number }}) "
                "ke alamat Anda hari ini. Mohon pastikan ada yang menerima.\n\n"
                "{% if awaiting_payment %}Siapkan pembayaran COD {{ order_total }}.\n\n{% endif %}"
                "Status pesanan: {{ tracking_link }}\n\nSalam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 🚚\n\nPaket *{{ order_number }}* sedang diantar kurir "
                "{{ courier }} hari ini (resi {{ tracking_number }}). Mohon pastikan ada yang menerima ya.\n\n"
                "Lacak: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Paket {{ order_number }} sedang diantar {{ courier }} hari ini. Lacak: {{ tracking_link }}",
        },
        "en": {
            "subject": "Your parcel {{ order_number }} is out for delivery",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "{{ courier }} is delivering the parcel of your order {{ order_number }} (tracking number "
                "{{ tracking_number }}) today. Please make sure someone can receive it.\n\n"
                "{% if awaiting_payment %}Please have {{ order_total }} ready for cash on delivery.\n\n{% endif %}"
                "Your order status: {{ tracking_link }}\n\nBest regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 🚚\n\nYour parcel *{{ order_number }}* is out for delivery "
                "with {{ courier }} today (resi {{ tracking_number }}).\n\nTrack it: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Parcel {{ order_number }} is out for delivery with {{ courier }} today. {{ tracking_link }}",
        },
    },
}


def create_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    for event, languages in TEXTS.items():
        for language, texts in languages.items():
            for channel in ("email", "whatsapp", "sms"):
                NotificationTemplate.objects.get_or_create(
                    event=event, channel=channel, language=language,
                    defaults={"subject": texts["subject"] if channel == "email" else "", "body": texts[channel],
                              "is_active": True},
                )


def remove_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    NotificationTemplate.objects.filter(updated_by__isnull=True, event__in=list(TEXTS)).delete()


EVENTS = [
    ("order_confirmation", "Order confirmation"), ("order_paid", "Payment received"),
    ("order_processing", "Order being processed"), ("order_resi_assigned", "Resi assigned"),
    ("order_shipped", "Order shipped"), ("order_out_for_delivery", "Out for delivery"),
    ("order_delivered", "Order delivered"), ("order_cancelled", "Order cancelled"),
    ("payment_reminder", "Payment reminder"), ("staff_alert", "Alert to staff"),
]


class Migration(migrations.Migration):
    dependencies = [("notifications", "0003_notification_trigger")]

    operations = [
        migrations.AlterField("notification", "event", models.CharField(choices=EVENTS, db_index=True,
                                                                          max_length=40)),
        migrations.AlterField("notificationtemplate", "event", models.CharField(choices=EVENTS, max_length=40)),
        migrations.AlterField("notificationtrigger", "event", models.CharField(choices=EVENTS, max_length=40)),
        migrations.RunPython(create_templates, remove_templates),
    ]

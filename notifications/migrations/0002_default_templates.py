"""Default customer messages in Bahasa Indonesia and English for every order event and channel.

The texts live here (not imported from the app) so this migration stays the same forever; staff
edit the rows afterwards on the dashboard.
"""

from django.db import migrations

ITEMS_ID = (
    "{% for item in items %}- {{ item.name }} × {{ item.quantity }}: {{ item.total }}\n{% endfor %}"
)
ITEMS_WA = (
    "{% for item in items %}• {{ item.name }} × {{ item.quantity }} — {{ item.total }}\n{% endfor %}"
)

TEXTS = {
    "order_confirmation": {
        "id": {
            "subject": "Pesanan {{ order_number }} sudah kami terima",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Terima kasih sudah berbelanja di {{ shop_name }}! Pesanan Anda sudah kami terima.\n\n"
                "Nomor pesanan: {{ order_number }}\n"
                "Tanggal: {{ placed_at }} WIB\n\n"
                + ITEMS_ID +
                "\nTotal belanja: {{ items_total }}\n"
                "Ongkos kirim: {{ shipping_cost }}\n"
                "{% if discount %}Diskon: -{{ discount }}\n{% endif %}"
                "Total pembayaran: {{ order_total }}\n\n"
                "{% if awaiting_payment %}"
                "Cara pembayaran:\n"
                "{% if payment_instructions %}{{ payment_instructions }}{% else %}Instruksi pembayaran dapat Anda lihat di halaman status pesanan.{% endif %}\n"
                "{% if payment_due %}Mohon selesaikan pembayaran sebelum {{ payment_due }} WIB agar pesanan tidak batal otomatis.\n{% endif %}"
                "\n{% endif %}"
                "{% if shipping_address %}Dikirim ke:\n{{ shipping_name }}\n{{ shipping_address }}{% if shipping_city %}, {{ shipping_city }}{% endif %}\n\n{% endif %}"
                "Pantau status pesanan Anda kapan saja di:\n{{ tracking_link }}\n\n"
                "Ada pertanyaan? Cukup balas email ini, kami siap membantu.\n\n"
                "Salam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 👋\n\n"
                "Terima kasih sudah berbelanja di *{{ shop_name }}*! Pesanan *{{ order_number }}* sudah kami terima.\n\n"
                + ITEMS_WA +
                "\nTotal belanja: {{ items_total }}\n"
                "Ongkir: {{ shipping_cost }}\n"
                "{% if discount %}Diskon: -{{ discount }}\n{% endif %}"
                "*Total bayar: {{ order_total }}*\n\n"
                "{% if awaiting_payment %}"
                "{% if payment_instructions %}{{ payment_instructions }}{% else %}Cara pembayaran ada di tautan di bawah ya.{% endif %}\n"
                "{% if payment_due %}Batas pembayaran: {{ payment_due }} WIB\n{% endif %}\n"
                "{% endif %}"
                "Cek status pesanan: {{ tracking_link }}\n\n"
                "Terima kasih 🙏"
            ),
            "sms": (
                "{{ shop_name }}: Pesanan {{ order_number }} diterima, total {{ order_total }}. "
                "{% if awaiting_payment %}Cara bayar & status: {% else %}Cek status: {% endif %}{{ tracking_link }}"
            ),
        },
        "en": {
            "subject": "We have received your order {{ order_number }}",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Thank you for shopping at {{ shop_name }}! We have received your order.\n\n"
                "Order number: {{ order_number }}\n"
                "Date: {{ placed_at }} (Jakarta time)\n\n"
                + ITEMS_ID +
                "\nItems total: {{ items_total }}\n"
                "Shipping: {{ shipping_cost }}\n"
                "{% if discount %}Discount: -{{ discount }}\n{% endif %}"
                "Total to pay: {{ order_total }}\n\n"
                "{% if awaiting_payment %}"
                "How to pay:\n"
                "{% if payment_instructions %}{{ payment_instructions }}{% else %}You will find the payment instructions on your order status page.{% endif %}\n"
                "{% if payment_due %}Please complete your payment before {{ payment_due }} (Jakarta time), or the order will be cancelled automatically.\n{% endif %}"
                "\n{% endif %}"
                "{% if shipping_address %}Shipping to:\n{{ shipping_name }}\n{{ shipping_address }}{% if shipping_city %}, {{ shipping_city }}{% endif %}\n\n{% endif %}"
                "Follow your order at any time here:\n{{ tracking_link }}\n\n"
                "Questions? Just reply to this e-mail and we will be glad to help.\n\n"
                "Warm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 👋\n\n"
                "Thank you for shopping at *{{ shop_name }}*! We have received your order *{{ order_number }}*.\n\n"
                + ITEMS_WA +
                "\nItems total: {{ items_total }}\n"
                "Shipping: {{ shipping_cost }}\n"
                "{% if discount %}Discount: -{{ discount }}\n{% endif %}"
                "*Total to pay: {{ order_total }}*\n\n"
                "{% if awaiting_payment %}"
                "{% if payment_instructions %}{{ payment_instructions }}{% else %}You will find how to pay at the link below.{% endif %}\n"
                "{% if payment_due %}Please pay before {{ payment_due }} (Jakarta time)\n{% endif %}\n"
                "{% endif %}"
                "Order status: {{ tracking_link }}\n\n"
                "Thank you 🙏"
            ),
            "sms": (
                "{{ shop_name }}: Order {{ order_number }} received, total {{ order_total }}. "
                "{% if awaiting_payment %}How to pay & status: {% else %}Status: {% endif %}{{ tracking_link }}"
            ),
        },
    },
    "order_paid": {
        "id": {
            "subject": "Pembayaran pesanan {{ order_number }} sudah kami terima",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Pembayaran sebesar {{ order_total }} untuk pesanan {{ order_number }} sudah kami terima. Terima kasih!\n\n"
                "Pesanan Anda segera kami siapkan dan kami kabari lagi begitu paket dikirim.\n\n"
                "Status pesanan: {{ tracking_link }}\n\n"
                "Salam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }}, pembayaran *{{ order_total }}* untuk pesanan *{{ order_number }}* sudah kami terima. Terima kasih! 🙏\n\n"
                "Pesanan segera kami siapkan. Kami kabari lagi begitu paket dikirim ya.\n\n"
                "Cek status: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Pembayaran {{ order_total }} utk pesanan {{ order_number }} diterima. Terima kasih! Status: {{ tracking_link }}",
        },
        "en": {
            "subject": "Payment received for order {{ order_number }}",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "We have received your payment of {{ order_total }} for order {{ order_number }}. Thank you!\n\n"
                "We are getting your order ready and will let you know as soon as it ships.\n\n"
                "Order status: {{ tracking_link }}\n\n"
                "Warm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }}, we have received your payment of *{{ order_total }}* for order *{{ order_number }}*. Thank you! 🙏\n\n"
                "We are getting your order ready and will message you again when it ships.\n\n"
                "Order status: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Payment of {{ order_total }} for order {{ order_number }} received. Thank you! Status: {{ tracking_link }}",
        },
    },
    "order_processing": {
        "id": {
            "subject": "Pesanan {{ order_number }} sedang kami siapkan",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Pesanan {{ order_number }} sedang disiapkan dan dikemas oleh tim gudang kami.\n\n"
                + ITEMS_ID +
                "\nBegitu paket diserahkan ke kurir, kami kirimkan nomor resinya.\n\n"
                "Status pesanan: {{ tracking_link }}\n\n"
                "Salam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 📦\n\n"
                "Pesanan *{{ order_number }}* sedang kami siapkan dan kemas. Begitu paket diserahkan ke kurir, kami kabari nomor resinya.\n\n"
                "Cek status: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Pesanan {{ order_number }} sedang disiapkan. Kami kabari lagi saat dikirim. Status: {{ tracking_link }}",
        },
        "en": {
            "subject": "We are preparing your order {{ order_number }}",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Our warehouse team is now picking and packing your order {{ order_number }}.\n\n"
                + ITEMS_ID +
                "\nAs soon as the parcel is handed to the courier, we will send you its tracking number.\n\n"
                "Order status: {{ tracking_link }}\n\n"
                "Warm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 📦\n\n"
                "We are preparing and packing your order *{{ order_number }}*. We will send you the tracking number as soon as it ships.\n\n"
                "Order status: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Order {{ order_number }} is being prepared. We will tell you when it ships. Status: {{ tracking_link }}",
        },
    },
    "order_shipped": {
        "id": {
            "subject": "Pesanan {{ order_number }} sudah dikirim",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Kabar baik! Pesanan {{ order_number }} sudah kami serahkan ke kurir{% if courier %} {{ courier }}{% endif %}.\n"
                "{% if tracking_number %}Nomor resi: {{ tracking_number }}\n{% endif %}\n"
                "{% if shipping_address %}Alamat pengiriman:\n{{ shipping_name }}\n{{ shipping_address }}{% if shipping_city %}, {{ shipping_city }}{% endif %}\n\n{% endif %}"
                "Lacak paket Anda di:\n{{ tracking_link }}\n\n"
                "Salam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 🚚\n\n"
                "Pesanan *{{ order_number }}* sudah dikirim{% if courier %} lewat *{{ courier }}*{% endif %}.\n"
                "{% if tracking_number %}Nomor resi: *{{ tracking_number }}*\n{% endif %}\n"
                "Lacak paket: {{ tracking_link }}"
            ),
            "sms": (
                "{{ shop_name }}: Pesanan {{ order_number }} sudah dikirim{% if courier %} via {{ courier }}{% endif %}."
                "{% if tracking_number %} Resi {{ tracking_number }}.{% endif %} Lacak: {{ tracking_link }}"
            ),
        },
        "en": {
            "subject": "Your order {{ order_number }} is on its way",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Good news! Your order {{ order_number }} has been handed to the courier{% if courier %} ({{ courier }}){% endif %}.\n"
                "{% if tracking_number %}Tracking number: {{ tracking_number }}\n{% endif %}\n"
                "{% if shipping_address %}Shipping to:\n{{ shipping_name }}\n{{ shipping_address }}{% if shipping_city %}, {{ shipping_city }}{% endif %}\n\n{% endif %}"
                "Track your parcel here:\n{{ tracking_link }}\n\n"
                "Warm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 🚚\n\n"
                "Your order *{{ order_number }}* is on its way{% if courier %} with *{{ courier }}*{% endif %}.\n"
                "{% if tracking_number %}Tracking number: *{{ tracking_number }}*\n{% endif %}\n"
                "Track it here: {{ tracking_link }}"
            ),
            "sms": (
                "{{ shop_name }}: Order {{ order_number }} has shipped{% if courier %} via {{ courier }}{% endif %}."
                "{% if tracking_number %} Tracking {{ tracking_number }}.{% endif %} Track: {{ tracking_link }}"
            ),
        },
    },
    "order_delivered": {
        "id": {
            "subject": "Pesanan {{ order_number }} sudah sampai",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Paket pesanan {{ order_number }} tercatat sudah diterima. Semoga Anda suka dengan belanjaannya!\n\n"
                "Jika ada barang yang kurang sesuai atau rusak, balas email ini dan kami bantu secepatnya.\n\n"
                "Detail pesanan: {{ tracking_link }}\n\n"
                "Terima kasih sudah berbelanja di {{ shop_name }}.\n\nSalam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 🎉\n\n"
                "Paket pesanan *{{ order_number }}* sudah sampai. Semoga suka dengan belanjaannya!\n\n"
                "Kalau ada yang kurang sesuai, langsung balas chat ini ya, kami bantu secepatnya.\n\n"
                "Detail pesanan: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Pesanan {{ order_number }} sudah diterima. Terima kasih! Ada kendala? Balas pesan ini. {{ tracking_link }}",
        },
        "en": {
            "subject": "Your order {{ order_number }} has been delivered",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Your order {{ order_number }} has been delivered. We hope you enjoy your purchase!\n\n"
                "If anything is not right or arrived damaged, reply to this e-mail and we will sort it out quickly.\n\n"
                "Order details: {{ tracking_link }}\n\n"
                "Thank you for shopping at {{ shop_name }}.\n\nWarm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 🎉\n\n"
                "Your order *{{ order_number }}* has been delivered. We hope you love it!\n\n"
                "If anything is not right, just reply to this chat and we will help right away.\n\n"
                "Order details: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Order {{ order_number }} delivered. Thank you! Any problem? Reply to this message. {{ tracking_link }}",
        },
    },
    "order_cancelled": {
        "id": {
            "subject": "Pesanan {{ order_number }} dibatalkan",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Pesanan {{ order_number }} ({{ order_total }}) telah dibatalkan.\n\n"
                "Jika Anda sudah melakukan pembayaran, dananya akan kami kembalikan melalui metode pembayaran yang sama. "
                "Kami akan menghubungi Anda bila perlu data tambahan.\n\n"
                "Jika pembatalan ini tidak Anda minta atau ada pertanyaan, balas email ini.\n\n"
                "Detail pesanan: {{ tracking_link }}\n\n"
                "Salam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Pesanan *{{ order_number }}* ({{ order_total }}) telah dibatalkan.\n\n"
                "Kalau sudah sempat membayar, dananya kami kembalikan lewat metode pembayaran yang sama. "
                "Jika pembatalan ini tidak Kakak minta, balas chat ini ya.\n\n"
                "Detail pesanan: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Pesanan {{ order_number }} dibatalkan. Dana yg sudah dibayar akan dikembalikan. Info: balas pesan ini. {{ tracking_link }}",
        },
        "en": {
            "subject": "Your order {{ order_number }} has been cancelled",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Your order {{ order_number }} ({{ order_total }}) has been cancelled.\n\n"
                "If you have already paid, we will refund you through the same payment method. "
                "We will contact you if we need any details.\n\n"
                "If you did not ask for this cancellation or have any questions, just reply to this e-mail.\n\n"
                "Order details: {{ tracking_link }}\n\n"
                "Warm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Your order *{{ order_number }}* ({{ order_total }}) has been cancelled.\n\n"
                "If you have already paid, we will refund you through the same payment method. "
                "If you did not ask for this, just reply to this chat.\n\n"
                "Order details: {{ tracking_link }}"
            ),
            "sms": "{{ shop_name }}: Order {{ order_number }} cancelled. Any payment made will be refunded. Questions? Reply here. {{ tracking_link }}",
        },
    },
    "payment_reminder": {
        "id": {
            "subject": "Menunggu pembayaran pesanan {{ order_number }}",
            "email": (
                "Halo {{ customer_name|default:\"Kak\" }},\n\n"
                "Pesanan {{ order_number }} masih menunggu pembayaran sebesar {{ order_total }}.\n"
                "{% if payment_due %}Batas pembayaran: {{ payment_due }} WIB. Setelah itu pesanan batal otomatis.\n{% endif %}\n"
                "Cara pembayaran:\n"
                "{% if payment_instructions %}{{ payment_instructions }}{% else %}Lihat instruksi pembayaran di {{ tracking_link }}{% endif %}\n\n"
                "Abaikan email ini jika Anda sudah membayar.\n\n"
                "Salam hangat,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Halo {{ customer_name|default:\"Kak\" }} 😊\n\n"
                "Pesanan *{{ order_number }}* masih menunggu pembayaran *{{ order_total }}*.\n"
                "{% if payment_due %}Batas pembayaran: {{ payment_due }} WIB\n{% endif %}\n"
                "{% if payment_instructions %}{{ payment_instructions }}\n\n{% endif %}"
                "Cara bayar & status: {{ tracking_link }}\n\n"
                "Abaikan pesan ini jika sudah membayar ya. Terima kasih!"
            ),
            "sms": (
                "{{ shop_name }}: Pesanan {{ order_number }} menunggu pembayaran {{ order_total }}"
                "{% if payment_due %} s.d. {{ payment_due }} WIB{% endif %}. Cara bayar: {{ tracking_link }}"
            ),
        },
        "en": {
            "subject": "Your order {{ order_number }} is waiting for payment",
            "email": (
                "Hi {{ customer_name|default:\"there\" }},\n\n"
                "Your order {{ order_number }} is still waiting for a payment of {{ order_total }}.\n"
                "{% if payment_due %}Please pay before {{ payment_due }} (Jakarta time); after that the order is cancelled automatically.\n{% endif %}\n"
                "How to pay:\n"
                "{% if payment_instructions %}{{ payment_instructions }}{% else %}See the payment instructions at {{ tracking_link }}{% endif %}\n\n"
                "Please ignore this e-mail if you have already paid.\n\n"
                "Warm regards,\n{{ shop_name }}"
            ),
            "whatsapp": (
                "Hi {{ customer_name|default:\"there\" }} 😊\n\n"
                "Your order *{{ order_number }}* is still waiting for a payment of *{{ order_total }}*.\n"
                "{% if payment_due %}Please pay before {{ payment_due }} (Jakarta time)\n{% endif %}\n"
                "{% if payment_instructions %}{{ payment_instructions }}\n\n{% endif %}"
                "How to pay & status: {{ tracking_link }}\n\n"
                "Please ignore this message if you have already paid. Thank you!"
            ),
            "sms": (
                "{{ shop_name }}: Order {{ order_number }} awaits payment of {{ order_total }}"
                "{% if payment_due %} by {{ payment_due }}{% endif %}. How to pay: {{ tracking_link }}"
            ),
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
                    defaults={
                        "subject": texts["subject"] if channel == "email" else "",
                        "body": texts[channel],
                        "is_active": True,
                    },
                )


def remove_templates(apps, schema_editor):
    NotificationTemplate = apps.get_model("notifications", "NotificationTemplate")
    NotificationTemplate.objects.filter(updated_by__isnull=True, event__in=list(TEXTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_templates)]

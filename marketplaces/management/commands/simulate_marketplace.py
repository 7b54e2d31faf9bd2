"""Watch marketplace orders arrive: a fake marketplace sends signed pushes to the running app.

    .venv/bin/python manage.py simulate_marketplace --provider shopee --count 60 --rate 1

Starts a fake Shopee / TikTok Shop / Lazada API on 127.0.0.1 (it serves the order details the
app fetches after each push), points the channel at it (API base URL, credentials, callback URL;
restored at the end), then sends a stream of signed pushes to the app at --url: new orders for
SKUs from the catalog, and later status changes of earlier orders (paid, packed, shipped,
completed, some cancelled). The app must be running with its Celery worker (`make run`).
"""

from __future__ import annotations

import random
import time

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels import selectors
from channels.models import Channel

PROVIDERS = {"shopee": Channel.Kind.SHOPEE, "tiktok": Channel.Kind.TIKTOK_SHOP, "lazada": Channel.Kind.LAZADA,
             "tokopedia": Channel.Kind.TOKOPEDIA}
# Each provider's forward path of status words, and its cancellation word.
FLOWS = {
    "shopee": (["UNPAID", "READY_TO_SHIP", "PROCESSED", "SHIPPED", "TO_CONFIRM_RECEIVE", "COMPLETED"], "CANCELLED"),
    "tiktok": (["UNPAID", "AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"],
               "CANCELLED"),
    "lazada": (["unpaid", "pending", "ready_to_ship", "shipped", "delivered", "confirmed"], "canceled"),
    "tokopedia": (["100", "220", "400", "450", "500", "600", "700"], "10"),
}
BUYERS = ["Budi Santoso", "Siti Rahayu", "Andi Wijaya", "Dewi Lestari", "Rina Kartika", "Agus Setiawan",
          "Putri Maharani", "Joko Susilo", "Nur Aini", "Fajar Pratama"]
CITIES = [("Jakarta Selatan", "DKI Jakarta"), ("Bandung", "Jawa Barat"), ("Surabaya", "Jawa Timur"),
          ("Semarang", "Jawa Tengah"), ("Medan", "Sumatera Utara"), ("Makassar", "Sulawesi Selatan")]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--provider", choices=sorted(PROVIDERS), default="shopee")
        parser.add_argument("--channel", help="channel code (default: the first active channel of the provider)")
        parser.add_argument("--url", default=settings.SITE_URL, help="the running app's base URL")
        parser.add_argument("--count", type=int, default=60, help="pushes to send (1-10000)")
        parser.add_argument("--rate", type=float, default=1.0, help="pushes per second (0.1-50)")
        parser.add_argument("--linger", type=float, default=15.0,
                            help="seconds to keep serving order details after the last push")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, **options):
        from marketplaces.sandbox import Credentials, FakeMarketplace

        provider = options["provider"]
        count = options["count"]
        rate = options["rate"]
        if not 1 <= count <= 10_000:
            raise CommandError("--count must be between 1 and 10000.")
        if not 0.1 <= rate <= 50:
            raise CommandError("--rate must be between 0.1 and 50 pushes per second.")
        channels = Channel.objects.filter(kind=PROVIDERS[provider], is_active=True).exclude(shop_id="")
        if options["channel"]:
            channels = channels.filter(code=options["channel"])
        channel = channels.order_by("pk").first()
        if channel is None:
            raise CommandError(f"No active {provider} channel with a shop id. Create one in the dashboard first.")
        skus = list(self._skus())
        rng = random.Random(options["seed"])
        webhook_url = f"{options['url'].rstrip('/')}/webhooks/{provider}/"

        shop_field = {"shopee": "shopee_shop_id", "tiktok": "tiktok_shop_id", "lazada": "lazada_seller_id",
                      "tokopedia": "tokopedia_shop_id"}[provider]
        creds = Credentials(**{shop_field: channel.shop_id})
        saved = {"api_base_url": channel.api_base_url, "callback_url": channel.callback_url,
                 "credentials_token": channel.credentials_token}
        fake = FakeMarketplace(creds).start()
        try:
            channel.api_base_url = fake.base_url(provider)
            channel.callback_url = webhook_url
            channel.set_credentials(creds.for_channel(provider), replace=True)
            channel.save(update_fields=["api_base_url", "callback_url", "credentials_token", "updated_at"])
            self.stdout.write(f"Fake {provider} API at {fake.base_url(provider)}; channel {channel.name} points at it.")
            self.stdout.write(f"Sending {count} pushes to {webhook_url} at {rate:g}/s. Open the order list to watch.")
            time.sleep(selectors.PUSH_LOOKUP_TTL + 0.5)  # let running web processes see the new settings
            self._stream(fake, provider, webhook_url, skus, rng, count, rate)
            self.stdout.write(f"Done; serving order details for {options['linger']:g} s more for the worker.")
            time.sleep(options["linger"])
        finally:
            fake.stop()
            Channel.objects.filter(pk=channel.pk).update(**saved)
            self.stdout.write("Channel settings restored.")

    @staticmethod
    def _skus():
        from catalog.models import ProductVariant

        rows = list(ProductVariant.objects.filter(is_active=True).values_list("sku", "price_amount")[:200])
        return rows or [("DEMO-SKU", 50_000)]

    def _stream(self, fake, provider, url, skus, rng, count, rate):
        flow, cancelled = FLOWS[provider]
        open_orders: list[tuple[str, int]] = []  # (order id, index in flow)
        session = requests.Session()
        prefix = str(int(time.time()))[-6:]
        for n in range(count):
            started = time.monotonic()
            if not open_orders or rng.random() < 0.45:
                order_id = self._new_id(provider, prefix, n)
                step = rng.choice([0, 1, 1, 1])  # most marketplace orders arrive already paid
                city, province = rng.choice(CITIES)
                lines = [(sku, rng.randint(1, 3), int(price)) for sku, price in rng.sample(skus, min(len(skus),
                                                                                                rng.randint(1, 3)))]
                fake.put_order(provider, order_id, status=flow[step], lines=lines, buyer=rng.choice(BUYERS),
                               city=city, province=province, phone=f"628{rng.randint(1000000000, 9999999999)}")
                open_orders.append((order_id, step))
            else:
                index = rng.randrange(len(open_orders))
                order_id, step = open_orders[index]
                if step <= 1 and rng.random() < 0.1:
                    status, step = cancelled, len(flow)
                else:
                    step += 1
                    status = flow[step]
                fake.put_order(provider, order_id, status=status)
                if step >= len(flow) - 1:
                    open_orders.pop(index)
                else:
                    open_orders[index] = (order_id, step)
            order = fake.orders[(provider, order_id)]
            try:
                response = fake.send_push(provider, order_id, url=url, session=session)
                outcome = str(response.status_code)
            except requests.RequestException as exc:
                outcome = f"failed: {exc.__class__.__name__} (is the app running at {url}?)"
            self.stdout.write(f"[{n + 1}/{count}] {order_id} {order.status}: {outcome}")
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))

    @staticmethod
    def _new_id(provider: str, prefix: str, n: int) -> str:
        if provider == "shopee":
            return f"{time.strftime('%y%m%d')}SIM{prefix}{n:04d}"
        return f"{prefix}{n:06d}"

"""The marketplace's own shipping document (Shopee's airway bill) for marketplace orders.

Shopee prepares the document (create_shipping_document), says when it is ready, and serves the
PDF; it is stored on the shipment for reprints. The calls happen with no lock held; channels
without such an API print our own label with their resi.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import DomainError, NotFound
from shipping.models import Shipment
from shipping.services.shipments import lock_shipment, record_event

READY_ATTEMPTS = 5


def marketplace_document_fetch(*, shipment_id: int, actor=None,
                               sleep: Callable[[float], None] = time.sleep) -> Shipment:
    from channels.adapters import get_adapter
    from channels.adapters.base import AdapterError

    shipment = Shipment.objects.select_related("order__channel").filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(_("Shipment %(id)s does not exist.") % {"id": shipment_id})
    order = shipment.order
    adapter = get_adapter(order.channel)
    if adapter is None or not hasattr(adapter, "download_shipping_document") or not order.external_id:
        raise DomainError(_("%(channel)s has no shipping document to download; print our label with the resi.")
                          % {"channel": order.channel.name})
    try:
        adapter.create_shipping_document(order_sn=order.external_id, tracking_number=shipment.tracking_number)
        for attempt in range(READY_ATTEMPTS):
            status = adapter.shipping_document_status(order_sn=order.external_id)
            if status == "READY":
                break
            if status == "FAILED":
                raise AdapterError(_("the marketplace could not prepare the document"))
            sleep(1.0 + attempt)
        else:
            raise AdapterError(_("the document is still being prepared; try again in a minute"))
        pdf = adapter.download_shipping_document(order_sn=order.external_id)
    except AdapterError as exc:
        raise DomainError(_("%(channel)s shipping document: %(reason)s") % {"channel": order.channel.name,
                                                                            "reason": exc}) from None
    with transaction.atomic():
        shipment = lock_shipment(shipment_id)
        shipment.marketplace_document.save(f"{shipment.number}-{order.channel.kind}.pdf", ContentFile(pdf), save=False)
        shipment.save(update_fields=["marketplace_document", "updated_at"])
        record_event(shipment, "marketplace_document", actor=actor, source=order.channel.kind,
                     data={"bytes": len(pdf)})
    return shipment

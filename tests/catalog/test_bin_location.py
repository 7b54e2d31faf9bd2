import pytest

from catalog.errors import InvalidStockChange
from catalog.models import StockLevel, StockMovement
from catalog.services import stock_bin_set, stock_receive, warehouse_default
from tests.orders.factories import VariantFactory

pytestmark = pytest.mark.django_db


def test_a_bin_location_is_stored_trimmed_and_upper_case_without_moving_stock():
    # given a variant with stock
    variant = VariantFactory(sku="KAOS-BIN")
    stock_receive(variant_id=variant.pk, quantity=5)
    movements = StockMovement.objects.count()

    # when its bin is set
    level = stock_bin_set(variant_id=variant.pk, bin_location="  a-03  2 ")

    # then it is kept on the stock row of the default warehouse and no movement is written
    assert level.bin_location == "A-03 2"
    assert StockLevel.objects.get(variant=variant, warehouse=warehouse_default()).on_hand == 5
    assert StockMovement.objects.count() == movements


def test_a_bin_location_longer_than_forty_characters_is_refused():
    variant = VariantFactory(sku="KAOS-BIN2")
    with pytest.raises(InvalidStockChange):
        stock_bin_set(variant_id=variant.pk, bin_location="X" * 41)
    assert not StockLevel.objects.filter(variant=variant).exclude(bin_location="").exists()

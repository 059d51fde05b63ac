from data_platform.inventory import StockMovement, apply_movements


def test_apply_movements_adds_and_removes_stock() -> None:
    levels = {("sku-1", "kl"): 5}
    movements = [
        StockMovement(sku="sku-1", location="kl", quantity=-2),
        StockMovement(sku="sku-2", location="kl", quantity=7),
    ]

    assert apply_movements(levels, movements) == {("sku-1", "kl"): 3, ("sku-2", "kl"): 7}
    assert levels == {("sku-1", "kl"): 5}

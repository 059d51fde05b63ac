"""Stock levels and the movements that change them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StockMovement:
    sku: str
    location: str
    quantity: int


def apply_movements(
    levels: dict[tuple[str, str], int], movements: list[StockMovement]
) -> dict[tuple[str, str], int]:
    result = dict(levels)
    for movement in movements:
        key = (movement.sku, movement.location)
        result[key] = result.get(key, 0) + movement.quantity
    return result

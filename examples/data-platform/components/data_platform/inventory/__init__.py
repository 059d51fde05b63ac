from data_platform.inventory.core import StockMovement, apply_movements

__all__ = ["StockMovement", "apply_movements"]

from data_platform.dmd_client.core import fetch_inventory_movements

__all__ = ["fetch_inventory_movements"]

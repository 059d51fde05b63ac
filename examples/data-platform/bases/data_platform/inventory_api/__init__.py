from data_platform.inventory_api.core import app

__all__ = ["app"]

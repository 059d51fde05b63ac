from data_platform.stock_webhook.core import handle_stock_event

__all__ = ["handle_stock_event"]

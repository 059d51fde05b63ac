from data_platform.http_client.core import get_json

__all__ = ["get_json"]

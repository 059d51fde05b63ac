from data_platform.log.core import get_logger

__all__ = ["get_logger"]

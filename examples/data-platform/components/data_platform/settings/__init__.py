from data_platform.settings.core import Settings, load_settings

__all__ = ["Settings", "load_settings"]

from data_platform.dmd_ingest.core import main

__all__ = ["main"]

from data_platform.bigquery_writer.core import write_rows

__all__ = ["write_rows"]

"""Append rows to a BigQuery table."""

from typing import Any

from google.cloud import bigquery

from data_platform.log import get_logger

logger = get_logger(__name__)


def write_rows(table_id: str, rows: list[dict[str, Any]]) -> int:
    if not rows:
        logger.info("no rows to write", extra={"fields": {"table": table_id}})
        return 0
    errors = bigquery.Client().insert_rows_json(table_id, rows)
    if errors:
        raise RuntimeError(f"BigQuery rejected {len(errors)} rows for {table_id}")
    logger.info("rows written", extra={"fields": {"table": table_id, "rows": len(rows)}})
    return len(rows)

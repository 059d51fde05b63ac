"""Cloud Run job: copy yesterday's DMD inventory movements into BigQuery."""

import datetime
import os

from data_platform.bigquery_writer import write_rows
from data_platform.dmd_client import fetch_inventory_movements
from data_platform.settings import load_settings

TABLE = "bronze_dmd.inventory_movement"


def main() -> int:
    settings = load_settings()
    movement_date = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    rows = fetch_inventory_movements(os.environ["API_TOKEN"], movement_date)
    return write_rows(f"{settings.gcp_project_id}.{TABLE}", rows)


if __name__ == "__main__":
    main()

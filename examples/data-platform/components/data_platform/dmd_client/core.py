"""Client for the DMD inventory API."""

from typing import Any

from data_platform.http_client import get_json

DMD_API_URL = "https://api.dmd.example.com/v1"


def fetch_inventory_movements(token: str, movement_date: str) -> list[dict[str, Any]]:
    payload = get_json(f"{DMD_API_URL}/inventory-movements", token, {"date": movement_date})
    return list(payload["items"])

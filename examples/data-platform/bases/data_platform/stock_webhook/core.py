"""HTTP function that receives stock events from the warehouse system."""

import functions_framework
from flask import Request

from data_platform.inventory import StockMovement, apply_movements
from data_platform.log import get_logger
from data_platform.settings import load_settings

logger = get_logger(__name__)


@functions_framework.http
def handle_stock_event(request: Request) -> tuple[dict[str, int], int]:
    event = request.get_json()
    movement = StockMovement(
        sku=event["sku"], location=event["location"], quantity=event["quantity"]
    )
    levels = apply_movements({}, [movement])
    logger.info(
        "stock event received",
        extra={"fields": {"sku": movement.sku, "environment": load_settings().environment}},
    )
    return {"changed": len(levels)}, 200

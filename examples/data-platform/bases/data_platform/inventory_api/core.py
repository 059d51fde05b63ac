"""HTTP API over current stock levels."""

from flask import Flask, Response, jsonify, request

from data_platform.inventory import StockMovement, apply_movements
from data_platform.log import get_logger
from data_platform.settings import load_settings

app = Flask(__name__)
logger = get_logger(__name__)
settings = load_settings()
_levels: dict[tuple[str, str], int] = {}


@app.get("/health_check")
def health_check() -> tuple[dict[str, str], int]:
    return {"status": "ok", "version": settings.version}, 200


@app.post("/movements")
def post_movements() -> Response:
    global _levels
    movements = [StockMovement(**item) for item in request.get_json()["movements"]]
    _levels = apply_movements(_levels, movements)
    logger.info("movements applied", extra={"fields": {"count": len(movements)}})
    return jsonify({"applied": len(movements)})


@app.get("/stock/<sku>/<location>")
def get_stock(sku: str, location: str) -> Response:
    return jsonify({"sku": sku, "location": location, "quantity": _levels.get((sku, location), 0)})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=8080)

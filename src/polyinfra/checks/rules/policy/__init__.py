"""An offline policy pack over the foundation stack (config and plan) and the rendered apps."""

"""Rules, grouped by subject; the registry lists them all."""

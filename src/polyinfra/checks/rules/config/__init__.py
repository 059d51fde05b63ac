"""Rules about the foundation stack files themselves."""

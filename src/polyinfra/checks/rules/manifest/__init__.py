"""Rules about the input files themselves: unreadable YAML, unrendered templates."""

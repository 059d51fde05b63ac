"""polyinfra: infrastructure tooling for Python Polylith monorepos on Google Cloud."""

__version__ = "0.1.0"

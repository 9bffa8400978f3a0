"""aggregator: a self-hosted news aggregator that clusters coverage into stories."""

__all__ = ["__version__"]

__version__ = "0.1.0"

"""Heron: an open, self-hosted experiment tracker for machine learning."""

__version__ = "0.1.0"

"""Agora's federation gateway: supergraph in, one GraphQL API out."""

__version__ = "0.1.0"

"""Agora's subgraphs: one package per domain, built on subgraphs.kit."""

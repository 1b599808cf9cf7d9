"""The inventory subgraph: farms, products, stock levels, reservations and orders."""

"""Generation backends: the interface in `base`, one private module per provider, a registry."""

"""What leaves the product: the standalone HTML report, the dataset bundle and its card."""

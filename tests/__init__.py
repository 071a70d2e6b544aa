"""heuristag test suite."""

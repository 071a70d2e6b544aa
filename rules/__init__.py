"""heuristag's built-in rule pack, shipped as package data so a non-editable install finds it."""

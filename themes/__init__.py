"""The built-in themes, shipped as package data (`consult.themes`)."""

"""content/ -> model: loading every file, collecting every problem."""

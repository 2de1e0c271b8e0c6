"""consult: public consultations as accessible static websites."""

__version__ = "0.1.0"
# The name on the package index (pyproject's `name`); the import name and the command stay `consult`
# ("consult" on PyPI is another project).
DISTRIBUTION = "consult-static"

"""consult: public consultations as accessible static websites."""

__version__ = "0.1.0"

"""isd-hub: integration hub for iWmo / iJw / iEb traffic."""

__version__ = "0.1.0"

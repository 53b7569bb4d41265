"""Values, rules and decisions: pure, no I/O library reachable (import-linter keeps it so)."""

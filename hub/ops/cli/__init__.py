"""The `hub` command, one module per command group."""

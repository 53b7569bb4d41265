"""Operator surfaces: the CLI, supervisor, dashboards and alerts, AsyncAPI, demo, packgen."""

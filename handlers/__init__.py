"""Business flows, one FastStream router per flow."""

"""Kafka: the broker wiring, record batches, and the watch on a broker that lost its data."""

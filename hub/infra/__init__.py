"""Infrastructure: PostgreSQL, Kafka, the outbox relay, telemetry, metrics, the runtime."""

"""The SQL migrations (NNNN_name.sql), applied in order by hub.infra.store.base."""

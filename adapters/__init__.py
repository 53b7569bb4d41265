"""Node adapters: the only door for a party."""

"""`hub history import`: seeds the history state from a party's exported messages and CSV.

sources reads paths (files, directories, ZIP archives) into named inputs; csvrows reads the
toewijzingen CSV; prepare validates a message and extracts its history facts; apply writes
them in batches with the store functions intake uses (hub.infra.store.history and .eigenbijdrage).
"""

"""Generator of the hub's schema packs (XSD, manifest) and their sample fixtures."""

"""The ingest pipeline and the importers that feed it."""

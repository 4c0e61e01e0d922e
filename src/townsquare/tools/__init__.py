"""Command-line entries for the pure engines (listening, enrichment), so `townsquare --help` lists them."""

"""Enrichment in the product: label every stored post (language, sentiment, complaint, offensive) with the
pure `townsquare.enrichment` models, and keep team members' corrections for the next training run."""

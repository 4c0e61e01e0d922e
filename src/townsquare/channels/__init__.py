"""Channels: one organisation's connected account on a network, its encrypted credentials and audit trail."""

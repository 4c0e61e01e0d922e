"""Encryption at rest for channel credentials (Fernet, with key rotation)."""

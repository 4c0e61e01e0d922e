"""The one normalised post, its authors (network identities) and engagement history."""

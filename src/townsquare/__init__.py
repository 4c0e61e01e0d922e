"""Townsquare: listen, engage, publish, give back, measure."""

"""The sandbox network: exists only inside Townsquare, for rehearsal and training. Posting to it is safe."""

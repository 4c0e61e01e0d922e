"""Networks: what each one is (the registry) and how Townsquare talks to it (one package per network)."""

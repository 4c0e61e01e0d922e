"""Background jobs (Huey). Tasks are thin: an id in, a service call."""

"""The team's workplace: server-rendered pages, htmx for the live parts."""

"""Listening in the product: an organisation's saved queries and the mentions they found.

The pure engine is `townsquare.listening`; this app stores queries and mentions and feeds new posts to a
per-organisation Matcher kept current incrementally (matching.py). See docs/listening.md, "In the product".
"""

"""The shared inbox: contacts, conversations routed from incoming posts, and the work on them."""

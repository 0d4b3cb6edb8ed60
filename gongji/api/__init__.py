"""The HTTP service: one FastAPI application for apps, the portal, institutions and counters."""

"""The national platform interface for designated institutions (NI-1..NI-6): messages in, the core underneath."""

"""Contributions per person and month, and the status and pooled-fund benefits they decide (LC-1..LC-4, LC-6)."""

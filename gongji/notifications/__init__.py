"""Telling people what happened to their accounts and bindings (HZ-4, N-9): an outbox and its worker."""

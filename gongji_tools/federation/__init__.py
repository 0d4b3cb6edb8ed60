"""The federation's tools: a hub and two provinces to try on one machine, and the check across their databases."""

"""Insight into scored accounts: why an account scored as it did (explain), what moved
between two runs (movers) and what the input data did to the scores (quality)."""

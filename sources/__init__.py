"""Fetching and parsing: one module per source, plus the raw archive they all write to first."""

"""Benchmarks: a synthetic ИСУН corpus at any scale and the offline build timed per stage."""

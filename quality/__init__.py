"""Data quality: Great Expectations suites built from the table metadata, and the gate that blocks publishing."""

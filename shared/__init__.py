"""Helpers below every layer (sources, transforms, quality, warehouse, pipelines) that import no project module.

`shared.atomic`: the one way a file is written so that readers see the old file or the new one, never half.
"""

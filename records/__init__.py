"""Records both layers exchange: plain dataclasses and field lists, below `sources/` and `transforms/`.

`sources/` produces these records (an archived response, a parsed ИСУН page, an extracted
document's scored fields) and `transforms/` consumes them; neither layer's code belongs
here, only the shapes they agree on, so `transforms/` never imports `sources/`.
"""

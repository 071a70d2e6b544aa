"""``heuristag.dask``: the public Dask API (``pip install 'heuristag[dask]'``), kept at the name users import.

The code lives in ``heuristag.running.dask`` beside the batch machinery it shares; this module only gives
it the short public name.
"""

from .running.dask import tag_bag, tag_dataframe

__all__ = ["tag_bag", "tag_dataframe"]

"""Running the engine at scale: batch (local worker processes, resume, CSV), Dask, tag_many, bench.

It imports the engine and never the authoring tools, so a batch or cluster worker loads only what
tagging needs.
"""

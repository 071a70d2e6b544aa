"""The engine: request -> Document -> evidence -> scores -> Result, and the rules and vocabulary it reads.

It imports nothing from ``heuristag.authoring`` or ``heuristag.running`` (tests/test_layers.py checks it),
so a change here is a change to the answers, and a change elsewhere cannot be. The one call outward is
``Tagger.tag_many``, which hands a stream of records to the batch machinery of ``heuristag.running``.
"""

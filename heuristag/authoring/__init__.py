"""Tools for rule authors: eval, explain, rules check/stats, vocab check, suggest, tune.

They sit on the engine and read its results; nothing in the engine or in ``heuristag.running`` imports
them, so an authoring tool can grow without touching a tagged answer or the batch path.
"""

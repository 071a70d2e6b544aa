"""heuristag: tag software repositories from their README, deterministically, from editable YAML rules."""

from .engine.errors import HeuristagError
from .engine.request import Request
from .engine.result import RecordError, Result
from .engine.tagger import Tagger, tag, tag_many
from .engine.vocabulary import Tag, Vocabulary, load_vocabulary_file, parse_vocabulary

__all__ = ["HeuristagError", "RecordError", "Request", "Result", "Tag", "Tagger", "Vocabulary",
           "load_vocabulary_file", "parse_vocabulary", "tag", "tag_many"]
__version__ = "0.1.0"

"""heuristag: tag software repositories from their README, deterministically, from editable YAML rules."""

from .errors import HeuristagError
from .request import Request
from .result import RecordError, Result
from .tagger import Tagger, tag, tag_many
from .vocabulary import Tag, Vocabulary, load_vocabulary_file, parse_vocabulary

__all__ = ["HeuristagError", "RecordError", "Request", "Result", "Tag", "Tagger", "Vocabulary",
           "load_vocabulary_file", "parse_vocabulary", "tag", "tag_many"]
__version__ = "0.1.0"

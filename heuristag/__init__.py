"""heuristag: tag software repositories from their README, deterministically, from editable YAML rules."""

from .errors import HeuristagError
from .request import Request
from .result import Result
from .tagger import Tagger, tag
from .vocabulary import Tag, Vocabulary

__all__ = ["HeuristagError", "Request", "Result", "Tag", "Tagger", "Vocabulary", "tag"]
__version__ = "0.1.0"

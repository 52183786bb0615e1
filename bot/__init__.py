"""crisis-help-bot: answers residents' crisis questions and routes practical help to volunteers."""

__version__ = "0.1.0"

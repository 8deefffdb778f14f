"""Errors the notebook kit raises, under the package's one root.

::

    NurError                       (nur_notebook.client: the root of everything raised)
    ├── LocalServerError           the local server could not be started or reached
    ├── ConversationEndedError     say/play on a conversation that has ended
    └── ConversationTimeoutError   wait() saw no complete answer in time

Each also is the built-in it always was (``RuntimeError``, ``TimeoutError``), so
``except RuntimeError`` keeps working; bad arguments stay ``ValueError``, and a magic's
bad line is IPython's ``UsageError``.
"""

from __future__ import annotations

from nur_notebook.client.errors import NurError


class LocalServerError(NurError, RuntimeError):
    """The local server could not be started or reached; the message says why."""


class ConversationEndedError(NurError, RuntimeError):
    """The conversation's session has ended: re-run its cell for a new one."""


class ConversationTimeoutError(NurError, TimeoutError):
    """The agent did not finish answering within the time ``wait`` was given."""


__all__ = ["ConversationEndedError", "ConversationTimeoutError", "LocalServerError"]

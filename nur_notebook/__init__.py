"""nur-notebook: prototype Nur voice agents in Jupyter.

%load_ext nur_notebook

%%nur_agent Support --voice rachel_v2
You are a friendly support agent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from nur_notebook.client import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AsyncNurClient,
        AuthenticationError,
        BadRequestError,
        NotFoundError,
        NurClient,
        NurError,
        RateLimitError,
    )
    from nur_notebook.notebook import (
        Conversation,
        load_ipython_extension,
        tool,
        unload_ipython_extension,
    )

#: The notebook kit, imported on first use so the server and the client stay light; the
#: rest of ``__all__`` (the API client and its errors) is imported on first use too.
_NOTEBOOK_EXPORTS = frozenset(
    {"Conversation", "load_ipython_extension", "tool", "unload_ipython_extension"}
)


def __getattr__(name: str) -> Any:
    if name in _NOTEBOOK_EXPORTS:
        from nur_notebook import notebook

        return getattr(notebook, name)
    if name in __all__:
        from nur_notebook import client

        return getattr(client, name)
    raise AttributeError(f"module 'nur_notebook' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncNurClient",
    "AuthenticationError",
    "BadRequestError",
    "Conversation",
    "NotFoundError",
    "NurClient",
    "NurError",
    "RateLimitError",
    "__version__",
    "load_ipython_extension",
    "tool",
    "unload_ipython_extension",
]

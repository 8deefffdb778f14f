"""nur-notebook: prototype Nur voice agents in Jupyter.

    %load_ext nur_notebook

    %%nur_agent Support --voice rachel_v2
    You are a friendly support agent.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

"""The REST routes of the local server, one module per resource."""

from __future__ import annotations

from fastapi import APIRouter

from nur_notebook.server.routes import agents, sessions, voices

#: Every REST router ``create_app`` includes, in order.
ROUTERS: tuple[APIRouter, ...] = (agents.router, sessions.router, voices.router)

__all__ = ["ROUTERS"]

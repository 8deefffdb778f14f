"""``GET /v1/voices``: the voices this server can speak, and ``GET /health``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from nur_notebook import __version__
from nur_notebook.server.auth import CurrentAccount
from nur_notebook.server.kernels import live_kernels
from nur_notebook.server.pipeline.voices import VOICES
from nur_notebook.server.routes.common import ERROR_RESPONSES
from nur_notebook.server.schemas import VoiceList

router = APIRouter(tags=["voices"], responses=ERROR_RESPONSES)


@router.get("/v1/voices", response_model=VoiceList, summary="List Voices")
async def list_voices(account: CurrentAccount) -> Any:
    """Every voice an agent may use, with the languages it speaks."""
    del account  # authenticated like every other endpoint; the catalog is the same for all
    return {
        "data": [
            {
                "voice_id": voice.voice_id,
                "name": voice.name,
                "languages": list(voice.languages),
                "gender": voice.gender,
                "description": voice.description,
            }
            for voice in VOICES
        ]
    }


@router.get("/health", tags=["server"], summary="Health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness probe for local tooling; needs no API key. ``engines.state`` says whether
    the speech engines are ``loading``, ``ready``, ``failed`` or ``disabled``; ``kernels``
    how many live kernels have registered as using this server."""
    kernels = live_kernels(request.app.state.config.files.kernels, prune=False)
    return {
        "status": "ok",
        "version": __version__,
        "engines": _engines(request),
        "kernels": kernels,
    }


def _engines(request: Request) -> dict[str, Any]:
    host = getattr(getattr(request.app.state, "realtime", None), "host", None)
    if host is None:
        return {"state": "disabled"}
    report: dict[str, Any] = {"state": host.state, "load_seconds": host.load_seconds}
    if host.error:
        report["error"] = host.error
    if host.engines is not None:  # what was loaded, as the loader named it
        report["names"] = host.engines.description()
    return report

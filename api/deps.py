"""FastAPI dependencies as ``Annotated`` aliases: the knowledge base, settings, jobs, keys.

They are ``async`` because none of them blocks: FastAPI runs a plain ``def`` dependency in
its thread pool, a hand-off per dependency and request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from api.auth import HEADER, check_read, check_write
from api.jobs import JobRunner
from mlkb.kb import KnowledgeBase
from mlkb.settings import Settings

_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    scheme_name="ApiKey",
    description="MLKB_API_KEY for writes; MLKB_API_READ_KEY (or MLKB_API_KEY) for reads when set.",
)


async def get_kb(request: Request) -> KnowledgeBase:
    """The server's knowledge base."""
    kb: KnowledgeBase = request.app.state.kb
    return kb


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_jobs(request: Request) -> JobRunner:
    """The ingest job runner."""
    runner: JobRunner = request.app.state.jobs
    return runner


SettingsDep = Annotated[Settings, Depends(get_settings)]
KBDep = Annotated[KnowledgeBase, Depends(get_kb)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
ApiKeyDep = Annotated[str | None, Security(_key_header)]


async def require_read(settings: SettingsDep, key: ApiKeyDep) -> None:
    """Reads pass unless MLKB_API_READ_KEY is set and not matched."""
    check_read(settings, key)


async def require_write(settings: SettingsDep, key: ApiKeyDep) -> None:
    """Writes need MLKB_API_KEY."""
    check_write(settings, key)


ReadAccess = Depends(require_read)
WriteAccess = Depends(require_write)

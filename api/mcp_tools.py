"""MCP tools for agents: find, similar, get, store a recipe.

The same tools serve streamable HTTP (mounted at ``/mcp`` by the app) and stdio
(``mlkb mcp``). Over HTTP the keys apply as on REST: storing needs ``MLKB_API_KEY``
in ``X-API-Key``, reads need ``MLKB_API_READ_KEY`` when it is set. Over stdio the
caller is the local user who started the process, so no key is asked.
"""

# No ``from __future__ import annotations``: the MCP SDK reads these signatures at runtime.

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from api.auth import check_read, check_write, header_key
from api.params import suggestion
from api.schemas import AddOut, RecipeIn, RecipeOut, SearchOut
from mlkb import __version__
from mlkb.errors import MlkbError
from mlkb.problems import problems
from mlkb.schema import MAX_OFFSET, Area, Kind, Recipe, SearchMode
from mlkb.search import item_filters, search_request
from mlkb.settings import Settings

INSTRUCTIONS = """\
mlkb is a knowledge base of ML engineering know-how: curated recipes (a problem, its
context and a proven solution with hyperparameters, metrics and pitfalls) next to the
papers, model cards and guides they come from. When you meet an ML problem, call
mlkb_find with the problem in plain words, read the best recipes with mlkb_get, and
after you solve something new, store it with mlkb_store_recipe so the next agent finds it.
"""


class DocumentText(BaseModel):
    """A document's metadata and text."""

    id: str
    kind: str
    source: str
    title: str
    url: str | None = None
    authors: list[str] = Field(default_factory=list)
    published: str | None = None
    tags: list[str] = Field(default_factory=list)
    text: str
    truncated: bool = Field(description="True when text was cut at max_chars.")
    chunks: list[int] | None = Field(
        default=None, description="With `chunk`: the positions of the chunks the text holds."
    )


class ItemResult(BaseModel):
    """A recipe or a document; exactly one of the two is set."""

    type: Literal["recipe", "document"]
    recipe: RecipeOut | None = None
    document: DocumentText | None = None


OffsetOpt = Annotated[
    int, Field(ge=0, le=MAX_OFFSET, description="Hits to skip: a last answer's next_offset.")
]
KOpt = Annotated[int, Field(ge=1, le=100, description="How many hits to return.")]
KindOpt = Annotated[
    list[Kind] | None,
    Field(description="Only these kinds: recipe, paper, model_card, guide, note."),
]
AreaOpt = Annotated[
    list[Area] | None,
    Field(description="Only recipes in these areas, e.g. monitoring, training, serving, llm."),
]
TagOpt = Annotated[
    list[str] | None,
    Field(description="Only items with one of these tags (lowercase, hyphenated: data-drift)."),
]
SourceOpt = Annotated[
    list[str] | None,
    Field(
        description="Only items from these sources: seed (curated recipes), user (recipes "
        "added by people or agents), arxiv, hf (model cards), url (web pages), web (web "
        "search results), file (local files), doc (documents posted over the API)."
    ),
]


class _Server(MCPServer):
    """The SDK's server, with arguments that fail their schema said in one line per field
    (``invalid_arguments: k: Input should be less than or equal to 100``), not as
    pydantic's report with its links."""

    _arguments: dict[str, frozenset[str]] | None = None

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        if unknown := await self._unknown_arguments(name, arguments):
            # the SDK drops arguments a tool does not take: a misspelt filter would widen
            # the answer without a word, as an unknown query parameter would over REST
            raise ToolError(f"invalid_arguments: {unknown}")
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(exc, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            found = problems(cause.errors(), unknown_field="is not an argument of this tool")
            said = "; ".join(f"{p['loc']}: {p['msg']}" for p in found)
            # from the ValidationError: the SDK then logs the fields' names, not their values
            raise ToolError(f"invalid_arguments: {said}") from cause

    async def _unknown_arguments(self, name: str, arguments: dict[str, Any]) -> str:
        """``kinds: is not an argument of this tool; did you mean 'kind'?``, one per
        argument the tool does not take, or an empty string."""
        if self._arguments is None:
            self._arguments = {
                tool.name: frozenset(tool.input_schema.get("properties", {}))
                for tool in await self.list_tools()
            }
        taken = self._arguments.get(name)
        if taken is None:
            return ""  # an unknown tool: the SDK says so
        return "; ".join(
            f"{arg}: is not an argument of this tool{suggestion(arg, taken)}"
            for arg in arguments
            if arg not in taken
        )


def build_mcp(get_kb: Callable[[], Any], settings: Settings) -> MCPServer:
    """An MCP server whose tools call the knowledge base returned by ``get_kb``."""
    # log_level: the SDK calls logging.basicConfig; keep its root handler quiet.
    server = _Server("mlkb", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")

    def read_allowed(ctx: Context) -> None:
        if ctx.headers is not None:
            call(lambda: check_read(settings, header_key(ctx.headers)))

    def call(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except MlkbError as exc:
            raise ToolError(f"{exc.code}: {exc.said_to('mcp')}") from None

    @server.tool(annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
    def mlkb_find(
        query: Annotated[
            str,
            Field(description="The problem in plain words, as you would ask a senior ML engineer."),
        ],
        ctx: Context,
        k: KOpt = 5,
        kind: KindOpt = None,
        area: AreaOpt = None,
        tag: TagOpt = None,
        source: SourceOpt = None,
        mode: Annotated[
            SearchMode,
            Field(description="hybrid (default), dense (meaning only) or sparse (exact words)."),
        ] = SearchMode.hybrid,
        offset: OffsetOpt = 0,
        published_from: Annotated[
            dt.date | None,
            Field(description="Only documents published on or after (recipes carry no date)."),
        ] = None,
        published_to: Annotated[
            dt.date | None, Field(description="Only documents published on or before.")
        ] = None,
    ) -> SearchOut:
        """Search mlkb for recipes and literature about an ML engineering problem.

        Use it first when you face a problem (training instability, data drift, slow
        inference, leakage, evaluation doubts...): it finds who has solved something similar.
        Returns hits best first, each with id, kind (recipe or a document kind), title,
        score, area or source, a snippet and, for documents, the chunk's section. Pass a
        hit's id to mlkb_get for the full recipe or document, or to mlkb_similar for more
        like it. Use kind=["recipe"] for proven solutions only. When next_offset is set,
        calling again with offset=next_offset gives the next hits.
        """
        read_allowed(ctx)
        fields = dict(
            query=query,
            k=k,
            kind=kind or [],
            area=area or [],
            tag=tag or [],
            source=source or [],
            mode=mode,
            offset=offset,
            published_from=published_from,
            published_to=published_to,
        )
        # built inside call(): a date range that ends before it starts is the caller's error
        return SearchOut.of(call(lambda: get_kb().search(search_request(**fields))))

    @server.tool(annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
    def mlkb_similar(
        id: Annotated[
            str,
            Field(
                description="A recipe id (slug) or a document id such as "
                "arxiv:1706.03762, as returned by mlkb_find."
            ),
        ],
        ctx: Context,
        k: KOpt = 5,
        kind: KindOpt = None,
        area: AreaOpt = None,
        tag: TagOpt = None,
        source: SourceOpt = None,
        offset: OffsetOpt = 0,
    ) -> SearchOut:
        """Items most like a stored recipe or document, the item itself excluded.

        Use it when one hit fits well and you want alternatives or the papers behind a
        recipe. Returns hits in the same shape as mlkb_find.
        """
        read_allowed(ctx)
        filters = item_filters(kind or [], area or [], source or [], tag or [])
        return SearchOut.of(call(lambda: get_kb().similar(id, k=k, filters=filters, offset=offset)))

    @server.tool(annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))
    def mlkb_get(
        id: Annotated[str, Field(description="A recipe id or a document id from a hit.")],
        ctx: Context,
        max_chars: Annotated[
            int, Field(ge=1, le=200_000, description="Longest document text returned.")
        ] = 20_000,
        chunk: Annotated[
            int | None,
            Field(
                ge=0,
                description="For a document: only the passage around this chunk (a hit's "
                "`chunk`), with `around` chunks each side.",
            ),
        ] = None,
        around: Annotated[int, Field(ge=0, le=20, description="Chunks each side of `chunk`.")] = 1,
    ) -> ItemResult:
        """The full item behind a hit.

        For a recipe: problem, context, symptoms, the step-by-step solution,
        hyperparameters, metrics, pitfalls, tools and references. For a document (paper,
        model card, guide, note): its metadata and text, cut at max_chars (truncated=true
        then). A hit on a long document names the chunk that matched: pass it as `chunk`
        to read that passage in context. Unknown ids fail with not_found.
        """
        read_allowed(ctx)
        item = call(lambda: get_kb().get(id, chunk=chunk, around=around))
        if isinstance(item, Recipe):
            return ItemResult(type="recipe", recipe=RecipeOut.model_validate(item.model_dump()))
        text = item.text
        return ItemResult(
            type="document",
            document=DocumentText(
                id=item.id,
                kind=item.kind.value,
                source=item.source,
                title=item.title,
                url=item.url,
                authors=item.authors,
                published=item.published.isoformat() if item.published else None,
                tags=item.tags,
                text=text[:max_chars],
                truncated=len(text) > max_chars,
                chunks=None if chunk is None else [c.position for c in item.chunks],
            ),
        )

    @server.tool(
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=True,  # replace=true overwrites a stored recipe
            idempotent_hint=True,
            open_world_hint=False,
        )
    )
    def mlkb_store_recipe(
        recipe: Annotated[
            RecipeIn,
            Field(
                description="The recipe: id (lowercase slug), title, "
                "area, problem, solution are required."
            ),
        ],
        ctx: Context,
        replace: Annotated[
            bool,
            Field(
                description="Overwrite the stored recipe with this id: its content is "
                "discarded (fields you leave out are lost), its version is bumped. Read it "
                "with mlkb_get first and send it whole with your changes."
            ),
        ] = False,
    ) -> AddOut:
        """Store a recipe you have verified, so other agents and people find it.

        Write the problem as a practitioner would ask it, the solution as numbered steps,
        and fill hyperparameters, metrics (expected figures), pitfalls and references when
        you know them. Returns the id and status: new, updated, or unchanged (identical
        content already stored). An id taken by a different recipe fails with
        duplicate_id unless replace=true. Over HTTP it needs the server's write key.
        """
        if ctx.headers is not None:
            call(lambda: check_write(settings, header_key(ctx.headers)))
        valid = recipe.to_recipe()  # the server sets version and updated
        return AddOut.of(call(lambda: get_kb().add_recipe(valid, source="user", replace=replace)))

    return server

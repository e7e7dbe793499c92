"""The curated recipes shipped with mlkb, kept in step with a store.

A store is seeded when it is new (or empty), and ``mlkb seed`` syncs it with the recipes
this version ships: new ones are added, changed ones refreshed, ones no longer shipped
removed. A curated recipe its user removed stays out: the store records its id
(``CollectionMeta.extra["dropped_seeds"]``), syncs skip it, and ``restore`` brings every
such recipe back. The record travels with exports and survives a reindex.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from mlkb.store.base import CollectionMeta

if TYPE_CHECKING:
    from mlkb.kb import KnowledgeBase

log = logging.getLogger("mlkb")

DROPPED = "dropped_seeds"
"""The key of ``CollectionMeta.extra`` listing the curated recipes a user removed."""


@dataclasses.dataclass
class SeedReport:
    """What a sync of the curated recipes did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    """Seeded recipes no longer shipped, now deleted."""
    kept_out: int = 0
    """Shipped recipes left out because the user removed them."""


def dropped_seeds(meta: CollectionMeta | None) -> set[str]:
    """The ids of curated recipes removed from this store by its user."""
    return set(meta.extra.get(DROPPED, [])) if meta is not None else set()


def with_dropped(meta: CollectionMeta, ids: Iterable[str]) -> CollectionMeta:
    """``meta`` recording exactly ``ids`` as dropped."""
    extra = {k: v for k, v in meta.extra.items() if k != DROPPED}
    if ids := sorted(set(ids)):
        extra[DROPPED] = ids
    return dataclasses.replace(meta, extra=extra)


def record_dropped(kb: KnowledgeBase, ids: Iterable[str]) -> None:
    """Add ``ids`` to the store's record of dropped curated recipes."""
    meta = kb.store.meta()
    if meta is None:
        return
    have = dropped_seeds(meta)
    more = set(ids) - have
    if more:
        kb.store.update_meta(with_dropped(meta, have | more))


def keep_out(kb: KnowledgeBase, ids: Iterable[str]) -> None:
    """Record ``ids`` as dropped and delete those still stored as curated recipes (an
    import of a backup into a store seeded anew)."""
    from mlkb.records import point_id, recipe_key

    ids = list(ids)
    if not ids:
        return
    keys = [point_id(recipe_key(i)) for i in ids]
    stored = kb.store.retrieve(keys, payload=["source"])
    kb.store.delete([p.id for p in stored if p.payload.get("source") == "seed"])
    record_dropped(kb, ids)


def sync_seeds(kb: KnowledgeBase, *, restore: bool = False) -> SeedReport:
    """Bring the store's curated recipes in step with the shipped ones; ``restore`` first
    forgets which ones the user removed, so they come back."""
    from mlkb.seeds import shipped_recipes

    recipes = shipped_recipes()
    meta = kb.store.meta()
    dropped = dropped_seeds(meta)
    if restore and dropped and meta is not None:
        kb.store.update_meta(with_dropped(meta, ()))
        dropped = set()
    report = SeedReport(kept_out=sum(1 for r in recipes if r.id in dropped))
    wanted = [r for r in recipes if r.id not in dropped]
    if not kb.store.count(exact=False):
        log.info("seeding the new store with %d curated recipes", len(wanted))
    for result in kb.add_recipes(wanted, source="seed", replace=True):
        setattr(report, result.status.value, getattr(report, result.status.value) + 1)
    report.removed = len(kb.remove_stale_seeds({r.id for r in recipes}))
    return report

"""Snapshots: a whole store in one ``.tar.gz`` file, and restoring one.

Qdrant Edge 0.9 can *apply* a Qdrant server's shard snapshot but cannot *make* one, and
qdrant-client's local mode has no snapshots at all. So for the embedded store a snapshot
is a consistent copy of the store folder, taken while holding the store's lock after a
flush (no other process can write, and this one does not), packed with a manifest that
records the collection's model and point count. On a Qdrant server, use the server's own
snapshot API (``POST /collections/{name}/snapshots``), or ``mlkb export`` from any backend.

Restore unpacks into a scratch folder beside the store, checks that the shard opens and
holds the recorded number of points, and only then swaps it in; the collection's meta
file moves last, so an interrupted restore leaves a store that ``mlkb snapshot restore``
can simply run on again.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from mlkb.errors import ConfigError, InputError, StoreUnavailable
from mlkb.settings import Settings

FORMAT = 1
MANIFEST = "mlkb-snapshot.json"
_STORE_DIR = "store"
_SKIP = {".mlkb.lock"}


@dataclass
class SnapshotInfo:
    """What a snapshot holds."""

    path: str
    collection: str
    model: str
    dim: int
    points: int
    created: str


def _embedded_only(settings: Settings) -> None:
    if settings.qdrant_url:
        raise ConfigError(
            "snapshots of a Qdrant server are made by the server (POST "
            "/collections/{name}/snapshots); for a portable backup from any backend use "
            "`mlkb export FILE`"
        )


def create_snapshot(settings: Settings, target: Path) -> SnapshotInfo:
    """Pack the embedded store into ``target`` (a ``.tar.gz``), consistently."""
    from mlkb.store.edge import EdgeStore

    _embedded_only(settings)
    store = EdgeStore(settings.store_path)  # takes the lock: no other process writes now
    try:
        meta = store.meta()
        if meta is None:
            raise StoreUnavailable(
                f"there is no store at {settings.store_path} to snapshot; check MLKB_HOME"
            )
        store.flush()
        info = SnapshotInfo(
            path=str(target),
            collection=settings.collection,
            model=meta.model,
            dim=meta.dim,
            points=store.count(),
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        part = target.with_name(target.name + ".part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tarfile.open(part, "w:gz") as tar:
                raw = json.dumps({"mlkb_snapshot": FORMAT, **asdict(info)}).encode()
                member = tarfile.TarInfo(MANIFEST)
                member.size = len(raw)
                tar.addfile(member, io.BytesIO(raw))
                for path in sorted(settings.store_path.iterdir()):
                    if path.name not in _SKIP:
                        tar.add(path, arcname=f"{_STORE_DIR}/{path.name}")
            os.replace(part, target)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise StoreUnavailable(f"cannot write the snapshot {target}: {exc}") from exc
    finally:
        store.close()
    return info


def read_manifest(source: Path) -> SnapshotInfo:
    """The manifest of a snapshot file, or InputError saying why it is not one."""
    if not source.is_file():
        raise InputError(f"{source}: no such file; name a file made by `mlkb snapshot create`")
    try:
        with tarfile.open(source, "r:gz") as tar:
            handle = tar.extractfile(MANIFEST)
            raw = json.loads(handle.read()) if handle is not None else None
    # EOFError: a file cut short (gzip's end of stream never comes)
    except (OSError, EOFError, tarfile.TarError, KeyError, ValueError) as exc:
        why = (
            "it is cut short"
            if isinstance(exc, EOFError)
            else "it holds no manifest"
            if isinstance(exc, KeyError)
            else "its manifest is not JSON"
            if isinstance(exc, ValueError)
            else "it is not a .tar.gz file"
        )
        raise InputError(
            f"{source} is not an mlkb snapshot ({why}); make one with `mlkb snapshot create FILE`"
        ) from None
    if not isinstance(raw, dict) or raw.get("mlkb_snapshot") != FORMAT:
        raise InputError(f"{source}: unknown snapshot format; make one with `mlkb snapshot create`")
    raw.pop("mlkb_snapshot")
    try:
        return SnapshotInfo(**raw)
    except TypeError:
        raise InputError(f"{source}: the snapshot manifest is damaged") from None


def restore_snapshot(settings: Settings, source: Path, *, force: bool = False) -> SnapshotInfo:
    """Replace the embedded store with the snapshot in ``source``.

    A store that holds points is only replaced with ``force=True``.
    """
    import qdrant_edge as qe

    from mlkb.store.edge import EdgeStore

    _embedded_only(settings)
    info = read_manifest(source)
    folder = settings.store_path
    store = EdgeStore(folder)  # holds the lock for the whole swap
    try:
        current = store.count() if store.meta() is not None else 0
        if current and not force:
            raise InputError(
                f"the store at {folder} holds {current} points; restoring would replace "
                "them: add --force (or `mlkb export` them first)"
            )
        store.release_shard()
        scratch = folder / ".restore"
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            with tarfile.open(source, "r:gz") as tar:
                _extract_sparse(tar, scratch)
            unpacked = scratch / _STORE_DIR
            shard = qe.EdgeShard.load(str(unpacked / "shard"))
            try:
                found = int(shard.count(qe.CountRequest(exact=True)))
            finally:
                shard.close()
        except Exception as exc:  # tarfile, OSError, and qdrant_edge's plain Exception
            shutil.rmtree(scratch, ignore_errors=True)
            raise InputError(
                f"{source}: the snapshot does not unpack into a store ({exc})"
            ) from None
        if found != info.points:
            shutil.rmtree(scratch, ignore_errors=True)
            raise InputError(
                f"{source}: the snapshot holds {found} points but its manifest says "
                f"{info.points}; it is damaged"
            )
        _swap_in(unpacked, folder)
        shutil.rmtree(scratch, ignore_errors=True)
    finally:
        store.close()
    return info


_BLOCK = 64 * 1024
_ZEROS = bytes(_BLOCK)


def write_sparse(content: IO[bytes], out: IO[bytes], size: int) -> None:
    """Copy ``content`` (``size`` bytes) into ``out``, seeking over empty 64 KB blocks
    instead of writing them, so they stay holes on disk."""
    while block := content.read(_BLOCK):
        if block == _ZEROS[: len(block)]:
            out.seek(len(block), os.SEEK_CUR)
        else:
            out.write(block)
    out.truncate(size)


def _extract_sparse(tar: tarfile.TarFile, dest: Path) -> None:
    """``extractall`` with the "data" filter, but regular files are written sparsely.

    Qdrant Edge allocates its files in large blocks it leaves empty (the write-ahead log's
    32 MB segments, 32 MB pages): a new store of the seeds takes 4 MB of disk for 220 MB
    of file sizes. Writing those zeros out would make every restored store take all of
    it; seeking over them leaves holes, as the engine did."""
    for member in tar:
        if not member.isfile():
            tar.extract(member, dest, filter="data")
            continue
        safe = tarfile.data_filter(member, str(dest))  # raises for an unsafe name or mode
        target = dest / safe.name
        target.parent.mkdir(parents=True, exist_ok=True)
        content = tar.extractfile(member)
        if content is None:
            raise tarfile.ExtractError(f"{member.name}: a file without content")
        with open(target, "wb") as out:
            write_sparse(content, out, safe.size)
        if safe.mode is not None:
            os.chmod(target, safe.mode)
        os.utime(target, (safe.mtime, safe.mtime))


def _swap_in(unpacked: Path, folder: Path) -> None:
    """Move the unpacked store into ``folder``; the meta file, which marks a whole
    collection, goes first out and last in."""
    from mlkb.store.edge import META_FILE as meta_name

    (folder / meta_name).unlink(missing_ok=True)
    for path in unpacked.iterdir():
        if path.name == meta_name:
            continue
        old = folder / path.name
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
        os.replace(path, old)
    os.replace(unpacked / meta_name, folder / meta_name)

"""Schema-pack registry: loads pack folders, compiles every XSD once and looks messages up."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from lxml import etree

from hub.domain.messages import CATALOGUE, MessageType, Standard
from hub.domain.packread import BasisXsd, FolderReader, MessageXsd, PackError, parse_namespace

__all__ = [
    "Pack",
    "PackError",
    "PackMessage",
    "PackRegistry",
    "load_complete_packs",
    "load_default_packs",
    "load_pack",
    "load_packs",
    "missing_messages",
    "parse_namespace",
    "require_complete",
]

_MANIFEST: Final = "manifest.json"
_INFERRED_ORIGIN: Final = "inferred from the XSDs (no manifest)"
_BUILTIN_DIR: Final = Path(__file__).resolve().parents[1] / "schemas"


@dataclass(frozen=True, slots=True)
class Pack:
    """One standard + release, loaded from one folder."""

    standard: Standard
    release: str  # "3.2"
    bericht_versie: int | None  # fixed Header/BerichtVersie; None when the XSDs do not fix it
    bericht_subversie: int | None
    basisschema_xsd_versie: str | None
    bericht_xsd_versie: str | None
    origin: str
    hub_model: bool  # the hub's own model, not an official definition
    dir: Path
    basisschema: Path | None

    @property
    def key(self) -> tuple[Standard, str]:
        return self.standard, self.release


@dataclass(frozen=True, slots=True, eq=False)
class PackMessage:
    """One message of one pack, with its compiled schema.

    An `etree.XMLSchema` keeps one error log per instance: do not validate with the same
    object from several threads at once (one event loop per process is fine).
    """

    pack: Pack
    message_type: MessageType
    bericht_code: str  # as fixed by the XSD, which wins over the catalogue's value
    namespace: str
    xsd: Path
    schema: etree.XMLSchema = field(repr=False)

    @property
    def name(self) -> str:
        return self.message_type.name


def _std(value: Standard | str) -> Standard | None:
    try:
        return Standard(value)
    except ValueError:
        return None


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"{path}: unreadable manifest: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), dict):
        raise PackError(f"{path}: manifest needs an object with a 'messages' object")
    for key in ("standard", "release"):
        if not isinstance(data.get(key), str):
            raise PackError(f"{path}: manifest field {key!r} is missing or not a string")
    return data


def _opt_int(data: dict[str, Any], key: str, manifest: Path) -> int | None:
    value = data.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise PackError(f"{manifest}: {key} must be a whole number")


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _with_manifest(reader: FolderReader, manifest: Path) -> tuple[Pack, list[MessageXsd]]:
    data = _read_manifest(manifest)
    standard = _std(data["standard"])
    if standard is None:
        raise PackError(f"{manifest}: unknown standard {data['standard']!r}")
    release = data["release"]
    basis_name = data.get("basisschema")
    loaded: list[MessageXsd] = []
    for name, file_name in sorted(data["messages"].items()):
        path = reader.find(str(file_name))
        item = reader.read(path)
        if not isinstance(item, MessageXsd) or item.message_type.name != str(name).upper():
            raise PackError(f"{path}: listed as {name} in {manifest.name}; its namespace disagrees")
        if (item.ns.standard, item.ns.release) != (standard, release):
            raise PackError(f"{path}: namespace is not {standard.value} {release}")
        loaded.append(item)
    pack = Pack(
        standard=standard,
        release=release,
        bericht_versie=_opt_int(data, "bericht_versie", manifest),
        bericht_subversie=_opt_int(data, "bericht_subversie", manifest),
        basisschema_xsd_versie=_opt_str(data, "basisschema_xsd_versie"),
        bericht_xsd_versie=_opt_str(data, "bericht_xsd_versie"),
        origin=_opt_str(data, "origin") or "manifest without origin",
        hub_model=data.get("hub_model") is True,
        dir=reader.folder,
        basisschema=reader.find(basis_name) if isinstance(basis_name, str) else None,
    )
    return pack, loaded


def _one(folder: Path, label: str, values: Sequence[Any]) -> Any:
    distinct = sorted({v for v in values if v is not None}, key=str)
    if len(distinct) > 1:
        raise PackError(f"{folder}: XSDs disagree on {label}: {', '.join(map(str, distinct))}")
    return distinct[0] if distinct else None


def _inferred(reader: FolderReader) -> tuple[Pack, list[MessageXsd]]:
    """A pack as downloaded (no manifest): everything comes from the XSDs themselves."""
    files = reader.xsd_files()
    if not files:
        raise PackError(f"{reader.folder}: no {_MANIFEST} and no .xsd files")
    loaded: list[MessageXsd] = []
    keys: set[tuple[Standard, str]] = set()
    basis: BasisXsd | None = None
    for path in files:
        item = reader.read(path)
        if isinstance(item, MessageXsd):
            loaded.append(item)
        else:
            basis = item
        keys.add((item.ns.standard, item.ns.release))
    if len(keys) != 1 or not loaded:
        found = ", ".join(f"{s.value} {r}" for s, r in sorted(keys)) or "nothing"
        raise PackError(f"{reader.folder}: a pack holds the messages of one release, found {found}")
    standard, release = keys.pop()
    folder = reader.folder
    pack = Pack(
        standard=standard,
        release=release,
        bericht_versie=_one(folder, "BerichtVersie", [i.versie for i in loaded]),
        bericht_subversie=_one(folder, "BerichtSubversie", [i.subversie for i in loaded]),
        # A message's appinfo names the basisschema version it was built on; if none does,
        # the basisschema's own appinfo is the next best witness.
        basisschema_xsd_versie=_one(
            folder, "BasisschemaXsdVersie", [i.basis_xsd_versie for i in loaded]
        )
        or (basis.xsd_versie if basis else None),
        bericht_xsd_versie=_one(folder, "BerichtXsdVersie", [i.xsd_versie for i in loaded]),
        origin=_INFERRED_ORIGIN,
        hub_model=False,
        dir=folder,
        basisschema=basis.path if basis else None,
    )
    return pack, loaded


def load_pack(folder: Path) -> tuple[Pack, tuple[PackMessage, ...]]:
    """Load one folder: from its manifest.json if present, otherwise inferred from the XSDs."""
    reader = FolderReader(Path(folder))
    manifest = reader.index.get(_MANIFEST)
    pack, loaded = _with_manifest(reader, manifest) if manifest else _inferred(reader)
    messages: dict[str, PackMessage] = {}
    for item in sorted(loaded, key=lambda i: i.message_type.number):
        namespace = item.message_type.namespace(pack.release)
        if namespace in messages:
            raise PackError(f"{item.path}: {namespace} is also in {messages[namespace].xsd}")
        messages[namespace] = PackMessage(
            pack=pack,
            message_type=item.message_type,
            bericht_code=item.bericht_code,
            namespace=namespace,
            xsd=item.path,
            schema=item.schema,
        )
    return pack, tuple(messages.values())


class PackRegistry:
    """All loaded packs, looked up by namespace or by (standard, release, name)."""

    def __init__(self, packs: Sequence[tuple[Pack, Sequence[PackMessage]]]) -> None:
        by_key: dict[tuple[Standard, str], tuple[Pack, tuple[PackMessage, ...]]] = {}
        for pack, messages in packs:
            by_key[pack.key] = (pack, tuple(messages))  # a later folder overrides an earlier one
        self._packs = MappingProxyType(dict(sorted(by_key.items())))
        self._by_namespace = MappingProxyType(
            {m.namespace: m for _, messages in self._packs.values() for m in messages}
        )

    @staticmethod
    def default_dirs() -> tuple[Path, ...]:
        """The built-in pack folders under hub/schemas, in name order."""
        if not _BUILTIN_DIR.is_dir():
            return ()
        return tuple(p for p in sorted(_BUILTIN_DIR.iterdir()) if p.is_dir())

    @property
    def packs(self) -> tuple[Pack, ...]:
        return tuple(pack for pack, _ in self._packs.values())

    def pack(self, standard: Standard | str, release: str) -> Pack | None:
        std = _std(standard)
        entry = self._packs.get((std, release)) if std else None
        return entry[0] if entry else None

    def releases(self, standard: Standard | str) -> tuple[str, ...]:
        std = _std(standard)
        return tuple(release for s, release in self._packs if s is std)

    def messages(self) -> tuple[PackMessage, ...]:
        return tuple(self._by_namespace.values())

    def match(self, namespace: str) -> PackMessage | None:
        """The message whose targetNamespace is `namespace` (the root element's namespace)."""
        return self._by_namespace.get(namespace)

    def get(self, standard: Standard | str, release: str, name: str) -> PackMessage:
        """Message `name` ("WMO305") of a loaded pack; KeyError says what is missing."""
        std = _std(standard)
        entry = self._packs.get((std, release)) if std else None
        if entry is None:
            raise KeyError(f"no pack loaded for {standard} {release}")
        for message in entry[1]:
            if message.name == name.upper():
                return message
        raise KeyError(f"pack {entry[0].standard.value} {release} has no message {name!r}")

    def __iter__(self) -> Iterator[PackMessage]:
        return iter(self._by_namespace.values())

    def __len__(self) -> int:
        return len(self._by_namespace)


def load_packs(dirs: Sequence[Path]) -> PackRegistry:
    """Load every folder in `dirs`; a later folder overrides an earlier one of the same
    (standard, release)."""
    return PackRegistry([load_pack(Path(d)) for d in dirs])


def load_default_packs() -> PackRegistry:
    """The built-in packs under hub/schemas."""
    return load_packs(PackRegistry.default_dirs())


# --- completeness ---------------------------------------------------------------------------

# The eigen-bijdrage notices the hub derives from accepted iWmo starts and stops
# (handlers/eigenbijdrage.py): any 305 / 307 may lead to either one, by product category.
_NOTICE_SOURCES: Final = frozenset({"WMO305", "WMO307"})
_NOTICES: Final = ("WMO405", "WMO407")


def missing_messages(registry: PackRegistry) -> dict[Pack, tuple[str, ...]]:
    """Per loaded pack, the messages the hub may have to build for it that no pack provides,
    each as "NAME (why)"; empty when the set is complete.

    "May have to build" is what the core writes itself for the messages a pack lets in:
    - for every heenbericht the pack holds, its answer from the same pack (standard and
      release: hub.domain.retour builds it in the heenbericht's own release): the retour sent when
      the hub rejects the heenbericht (302 for 301, ..., 320 for 319, 406 / 408 for the iEb
      405 / 407) and the 325 for a 323 (a rejected declaratie is answered with a 325);
    - for an iWmo pack holding a 305 or 307: WMO405 and WMO407 in some loaded iEb pack (the
      eigen-bijdrage notices; hub.domain.eigenbijdrage.notices builds each in the newest iEb release
      that holds it). Their retours 406 / 408 the first point asks of that iEb pack, since
      the hub must read the CAK's answers to what it sent.
    A retour, a 325 or an iEb retour held without its heenbericht is never built from, so it
    asks for nothing; neither does a message kind outside the catalogue.
    """
    names: dict[Pack, set[str]] = {pack: set() for pack in registry.packs}
    for pm in registry.messages():
        names.setdefault(pm.pack, set()).add(pm.name)
    ieb = set().union(*(n for p, n in names.items() if p.standard is Standard.IEB))
    out: dict[Pack, tuple[str, ...]] = {}
    for pack, held in names.items():
        lacking: list[str] = []
        for name in sorted(held):
            mt = CATALOGUE.get(name)
            if mt is not None and mt.is_heen and mt.answer and mt.answer not in held:
                lacking.append(f"{mt.answer} (answer to {name})")
        if pack.standard is Standard.IWMO and held & _NOTICE_SOURCES:
            lacking += [
                f"{n} (eigen-bijdrage notice, from an iEb pack)" for n in _NOTICES if n not in ieb
            ]
        if lacking:
            out[pack] = tuple(lacking)
    return out


def require_complete(registry: PackRegistry) -> PackRegistry:
    """The registry, if every message the hub may have to build is there (`missing_messages`);
    otherwise PackError naming the missing messages per pack. Without this, the first message
    to reject in an incomplete pack would fail its whole intake batch, again and again."""
    missing = missing_messages(registry)
    if not missing:
        return registry
    parts = [
        f"{pack.standard.value} {pack.release} ({pack.dir}) lacks {', '.join(names)}"
        for pack, names in sorted(missing.items(), key=lambda kv: kv[0].key)
    ]
    raise PackError(
        "incomplete schema packs, the hub could not build every message it may have to: "
        + "; ".join(parts)
        + " (add the XSDs to the pack folder, or load a pack that has them with HUB_PACK_DIRS)"
    )


def load_complete_packs(dirs: Sequence[Path]) -> PackRegistry:
    """`load_packs`, refused unless complete (`require_complete`): what a serving hub loads."""
    return require_complete(load_packs(dirs))

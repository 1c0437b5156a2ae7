"""Narrowing a question to some documents: by kind group, by issuer group (the groups
of core/groups.py, derived at ingest) and to documents still in force."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.groups import ISSUER_GROUPS, KIND_GROUPS
from core.records import DocInfo

NO_DOCUMENTS = "Inga dokument i indexet passar filtret ({filter}). Ta bort eller ändra filtret och fråga igen."


@dataclass(frozen=True)
class DocFilter:
    """Documents of any of `kinds` (all kinds when empty), of any of `issuers` (all
    when empty), and with `valid_only` only those in force: not past their validity
    period and not replaced by another document."""

    kinds: frozenset[str] = frozenset()
    issuers: frozenset[str] = frozenset()
    valid_only: bool = False

    @staticmethod
    def of(kinds: Iterable[str] = (), issuers: Iterable[str] = (), valid_only: bool = False) -> DocFilter:
        """Raises ValueError naming an unknown group key."""
        for key in kinds:
            if key not in KIND_GROUPS:
                raise ValueError(f"okänd dokumenttyp {key!r} (välj bland {', '.join(KIND_GROUPS)})")
        for key in issuers:
            if key not in ISSUER_GROUPS:
                raise ValueError(f"okänd utfärdare {key!r} (välj bland {', '.join(ISSUER_GROUPS)})")
        return DocFilter(frozenset(kinds), frozenset(issuers), valid_only)

    @property
    def active(self) -> bool:
        return bool(self.kinds or self.issuers or self.valid_only)

    def allows(self, doc: DocInfo, today: dt.date) -> bool:
        return (
            (not self.kinds or doc.kind_group in self.kinds)
            and (not self.issuers or doc.issuer_group in self.issuers)
            and (not self.valid_only or not (doc.validity.is_expired(today) or doc.replaced_by))
        )

    def allowed(self, documents: Mapping[str, DocInfo], today: dt.date) -> list[str]:
        return sorted(name for name, info in documents.items() if self.allows(info, today))

    def describe(self) -> str:
        """In Swedish: "Strategi, program, handlingsplan; Stockholms stad; bara gällande dokument"."""
        parts = [
            " eller ".join(KIND_GROUPS[k] for k in KIND_GROUPS if k in self.kinds),
            " eller ".join(ISSUER_GROUPS[k] for k in ISSUER_GROUPS if k in self.issuers),
            "bara gällande dokument" if self.valid_only else "",
        ]
        return "; ".join(p for p in parts if p)

    def to_json(self) -> dict[str, object]:
        return {"kinds": sorted(self.kinds), "issuers": sorted(self.issuers), "valid_only": self.valid_only}


NO_FILTER = DocFilter()


def group_counts(documents: Mapping[str, DocInfo]) -> tuple[dict[str, int], dict[str, int]]:
    """Documents per kind group and per issuer group present in the index, in the
    groups' order (for the chat's choices)."""
    kinds = Counter(info.kind_group for info in documents.values())
    issuers = Counter(info.issuer_group for info in documents.values())
    return ({k: kinds[k] for k in KIND_GROUPS if kinds[k]}, {k: issuers[k] for k in ISSUER_GROUPS if issuers[k]})


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """--kind, --issuer (each repeatable, group keys) and --valid-only, as the CLIs take them."""
    parser.add_argument("--kind", action="append", default=[], metavar="TYP",
                        help="bara dokument av denna typ: " + ", ".join(KIND_GROUPS))
    parser.add_argument("--issuer", action="append", default=[], metavar="UTFÄRDARE",
                        help="bara dokument från denna utfärdare: " + ", ".join(ISSUER_GROUPS))
    parser.add_argument("--valid-only", action="store_true", help="bara gällande dokument")


def read_filter(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Sets `args.docs` from the filter arguments (a parser error for an unknown group)."""
    try:
        args.docs = DocFilter.of(getattr(args, "kind", []), getattr(args, "issuer", []),
                                 getattr(args, "valid_only", False))
    except ValueError as err:
        parser.error(str(err))

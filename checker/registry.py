"""Every rule, by id.

Importing the rules imports the analysis and libcst with them (about a fifth of a second),
which a run answered from the cache never needs: so ``RULE_IDS``, all that checking a
configuration needs, is read from the rule modules' file names (``pub005_daemon_worker.py`` is
PUB005), and ``rules_by_id()`` imports the rules the first time it is called.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Config
    from .rule import Rule

_RULE_MODULE = re.compile(r"(pub\d{3})_\w+\.py")


def _rule_ids() -> frozenset[str]:
    spec = util.find_spec(f"{__package__}.rules")  # found, not imported
    folders = spec.submodule_search_locations if spec is not None else None
    return frozenset(
        found.group(1).upper()
        for folder in folders or ()
        for module in Path(folder).iterdir()
        if (found := _RULE_MODULE.fullmatch(module.name))
    )


RULE_IDS: frozenset[str] = _rule_ids()


def selected_ids(config: Config) -> list[str]:
    """The ids of the rules ``config`` selects, in id order."""
    select = {r.upper() for r in config.select} or {"ALL"}
    ignore = {r.upper() for r in config.ignore}
    return [
        rule_id
        for rule_id in sorted(RULE_IDS)
        if ("ALL" in select or rule_id in select) and rule_id not in ignore and "ALL" not in ignore
    ]


@cache
def rules_by_id() -> dict[str, type[Rule]]:
    from .rules import ALL_RULES

    return {rule.id: rule for rule in ALL_RULES}

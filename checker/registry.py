"""Every rule, by id."""

from __future__ import annotations

from .rule import Rule
from .rules import ALL_RULES

RULES_BY_ID: dict[str, type[Rule]] = {rule.id: rule for rule in ALL_RULES}

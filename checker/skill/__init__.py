"""The skill's Phase 1 and 2: the publisher plan from a team's answers and the scaffold built from it."""

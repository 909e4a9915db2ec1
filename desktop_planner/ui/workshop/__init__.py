"""Workshop mode: the plan on one screen for a room of managers."""

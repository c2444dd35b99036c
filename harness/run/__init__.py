"""Running one cell: the runner, virtual clock, budgets, setup errors, re-chunking."""

"""Auto-balance, pure functions (no Qt): `balance(plan, scenario, BalanceSettings(...), progress=...)` returns a
`BalanceResult` (assignment, territories, report); `result.command(scenario)` is the one undoable command."""

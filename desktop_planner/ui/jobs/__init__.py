"""Long jobs run off the GUI: `process_job.ProcessJob` runs a module-level function in a separate process
(DESIGN rule 6) and reports progress, its result, a failure or a cancel through Qt signals.

This package's __init__ imports nothing, and the modules the child runs (`child`, `balance_tasks`) import no Qt,
so a job's process loads numpy and the optimizer only.
"""

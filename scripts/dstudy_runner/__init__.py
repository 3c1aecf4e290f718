"""The study runner: plans the cell matrix, runs one dstudy_bench process per
cell under each allocator, records every outcome, merges runs and shards.
The result contract's constants live in contract.py (import them from there)."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

"""The study runner: plans the cell matrix, runs one dstudy_bench process per
cell under each allocator, records every outcome, merges runs and shards."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_VERSION = 1

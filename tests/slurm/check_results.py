#!/usr/bin/python3
"""Checks of the Slurm test (run_local_slurm_test.sh), on the run folders
it made. Exits non-zero, saying what is wrong, when a check fails.

  check_results.py snapshot SHARD_DIR OUT_JSON
      {cell id: started} of the cells a shard recorded (before it is resubmitted)
  check_results.py compare MERGED_DIR LOCAL_DIR KILLED_SHARD_DIR SNAPSHOT_JSON
      the merged run against the same cells run locally: same cell set, each
      once, all ok, the result schema; the killed shard's earlier cells kept
      (not run again) and its other cells run once after the resubmission
"""
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "scripts"))
sys.path.insert(0, str(REPO / "scripts"))
from runner_helpers import load_results, validate_results  # noqa: E402
from dstudy_runner import store  # noqa: E402


def fail(message):
    print(f"check_results: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def snapshot(shard_dir, out):
    cells = {cid: r["started"] for cid, r in store.load_cells(shard_dir).items()}
    Path(out).write_text(json.dumps(cells, indent=1))
    print(f"check_results: {shard_dir} holds {len(cells)} cells before the resubmission")


def compare(merged_dir, local_dir, killed_dir, snapshot_json):
    merged, local = load_results(merged_dir), load_results(local_dir)
    for name, doc in (("merged", merged), ("local", local)):
        try:
            validate_results(doc)
        except AssertionError as e:
            fail(f"the {name} results.json does not follow the result schema: {e}")
    ids = [c["id"] for c in merged["cells"]]
    if len(ids) != len(set(ids)):
        fail(f"cells twice in the merged run: {sorted({i for i in ids if ids.count(i) > 1})}")
    local_ids = {c["id"] for c in local["cells"]}
    if set(ids) != local_ids:
        fail(f"cell sets differ: only merged {sorted(set(ids) - local_ids)}, "
             f"only local {sorted(local_ids - set(ids))}")
    bad = [f"{c['id']}: {c['status']}" for c in merged["cells"] + local["cells"] if c["status"] != "ok"]
    if bad:
        fail(f"cells not ok: {bad}")
    m = merged["manifest"]
    if m["cells_pending"] or m.get("shards_missing"):
        fail(f"the merged run is incomplete: {m['cells_pending']} pending, "
             f"shards missing {m.get('shards_missing')}")
    files = list((Path(merged_dir) / store.CELLS).glob("*.json"))
    if len(files) != len(ids):
        fail(f"{len(files)} cell files in {merged_dir}/cells for {len(ids)} cells")

    before = json.loads(Path(snapshot_json).read_text())
    after = {cid: r["started"] for cid, r in store.load_cells(killed_dir).items()}
    rerun = [cid for cid, started in before.items() if after.get(cid) != started]
    if rerun:
        fail(f"cells recorded before the kill were run again: {rerun}")
    shard_manifest = store.read_json(Path(killed_dir) / store.MANIFEST)
    if len(shard_manifest.get("resumed") or []) != 1 or not shard_manifest.get("finished"):
        fail(f"{killed_dir} was not resumed once and finished: resumed {shard_manifest.get('resumed')}")
    print(f"check_results: ok: {len(ids)} cells merged from {len(m['merged_from'])} shards, each once "
          f"and ok, the same set as the local run; the killed shard kept its {len(before)} cells "
          f"and ran its {len(after) - len(before)} others after the resubmission")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "snapshot":
        snapshot(*sys.argv[2:])
    elif len(sys.argv) == 6 and sys.argv[1] == "compare":
        compare(*sys.argv[2:])
    else:
        sys.exit(__doc__)

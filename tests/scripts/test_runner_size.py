"""--size NAME: the profile's matrix at another size profile of the specs."""
import json

from runner_helpers import invocations, latest, load_results, validate_results


def test_run_at_another_size(study, tmp_path, env, capsys):
    assert study("run", "--size", "medium", "--allocator", "glibc") == 0
    err = capsys.readouterr().err
    # drain defines no medium size: left out, with a warning, not failed
    assert "workload(s) drain" in err
    doc = load_results(latest(tmp_path))
    validate_results(doc)
    m = doc["manifest"]
    assert m["size"] == "medium" and m["profile"] == "quick" and m["skipped_workloads"] == ["drain"]
    assert m["cells_failed"] == 0 and m["cells_ok"] == len(doc["cells"]) > 0
    assert {c["size"] for c in doc["cells"]} == {"medium"}
    assert {c["sidecar"]["cell"]["size"] for c in doc["cells"]} == {"medium"}
    assert "drain" not in {c["workload"] for c in doc["cells"]}
    for inv in invocations(env):
        assert inv["argv"][inv["argv"].index("--size") + 1] == "medium"
    # the quick profile's other settings stay
    assert m["settings"]["repetitions"] == 3


def test_list_and_dry_run_show_the_size(study, tmp_path, capsys):
    assert study("run", "--list", "--size", "full", "--workload", "churn", "--allocator", "glibc") == 0
    assert "cells (quick profile, size full)" in capsys.readouterr().err
    assert study("run", "--dry-run", "--size", "full", "--workload", "churn", "--allocator", "glibc") == 0
    out = capsys.readouterr()
    assert "--size full" in out.out and "size full" in out.err
    assert study("list", "cells", "--size", "medium", "--allocator", "glibc", results=False) == 0
    out = capsys.readouterr().out
    # churn and conc define medium: alpha and beta on churn, gamma_conc (thread-safe) on conc only
    assert out.splitlines()[0] == "cells: 3 cells (quick profile, size medium)"
    assert not (tmp_path / "results").exists()


def test_a_size_no_selected_workload_defines_is_a_usage_error(study, tmp_path, env, capsys):
    assert study("run", "--size", "medium", "--workload", "drain") == 2
    assert "no selected workload defines size 'medium'" in capsys.readouterr().err
    assert study("run", "--size", "huge") == 2
    assert invocations(env) == [] and not (tmp_path / "results").exists()


def test_resume_keeps_the_folders_size(study, tmp_path, env, capsys):
    assert study("run", "--size", "medium", "--workload", "churn", "--allocator", "glibc") == 0
    run = latest(tmp_path)
    lost = sorted((run / "cells").glob("*.json"))[0]
    lost.unlink()
    capsys.readouterr()
    assert study("run", "--resume", run, "--size", "full", results=False) == 2
    err = capsys.readouterr().err
    assert "size 'medium', not 'full'" in err
    assert not lost.exists()
    env.unlink()
    assert study("run", "--resume", run, "--size", "medium", results=False) == 0  # the same: fine
    assert [i["argv"][i["argv"].index("--size") + 1] for i in invocations(env)] == ["medium"]
    assert study("run", "--resume", run, results=False) == 0
    assert json.loads((run / "manifest.json").read_text())["size"] == "medium"


def test_merge_refuses_mixed_sizes(study, tmp_path, capsys):
    assert study("run", "--shard", "1/2", "--workload", "churn", "--allocator", "glibc",
                 "--results-dir", tmp_path / "a", results=False) == 0
    assert study("run", "--shard", "2/2", "--workload", "churn", "--allocator", "glibc", "--size",
                 "medium", "--results-dir", tmp_path / "b", results=False) == 0
    capsys.readouterr()
    rc = study("merge", tmp_path / "m", (tmp_path / "a" / "latest").resolve(),
               (tmp_path / "b" / "latest").resolve(), bench=False)
    assert rc == 2 and "mixed settings: size" in capsys.readouterr().err

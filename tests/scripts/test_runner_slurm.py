"""`study slurm` writes the jobs of a sharded run. Here without Slurm: the
scripts' text, submit.sh and resubmit.sh against a stand-in sbatch, and the
shard job itself run by bash. tests/slurm/run_local_slurm_test.sh runs them
under real Slurm (./scripts/test.sh --slurm)."""
import hashlib
import os
import shlex
import subprocess

import pytest

from runner_helpers import FAKE_BENCH, load_results, validate_results
from dstudy_runner import slurm as slurm_mod

SELECTION = ("--workload", "churn,drain", "--allocator", "glibc", "--no-large")


@pytest.fixture
def jobs(study, tmp_path, fake_calibration):
    results = tmp_path / "batch"
    assert study("slurm", *SELECTION, "--shards", "2", "--results-dir", results,
                 "--calibration", fake_calibration, "--partition", "long", "--job-setup", "echo set up") == 0
    return results


def read(results, name):
    return (results / "slurm" / name).read_text()


def selection_of(results):
    """The SELECTION=(...) array of common.sh, as words."""
    line = next(x for x in read(results, "common.sh").splitlines() if x.startswith("SELECTION=("))
    return shlex.split(line[len("SELECTION=("):-1])


def test_the_scripts_are_written_and_parse(jobs):
    for name in ("common.sh", "build.sbatch", "shard.sbatch", "merge.sbatch", "submit.sh", "resubmit.sh"):
        path = jobs / "slurm" / name
        assert os.access(path, os.X_OK), name
        assert subprocess.run(["bash", "-n", str(path)]).returncode == 0, name
    shard = read(jobs, "shard.sbatch")
    assert "#SBATCH --array=1-2" in shard and "#SBATCH --exclusive" in shard
    assert "#SBATCH --partition=long" in shard and "#SBATCH --cpus-per-task=2" in shard
    assert "echo set up" in read(jobs, "common.sh")
    assert "scripts/study merge --replace" in read(jobs, "merge.sbatch")


def test_the_array_time_is_the_longest_shard_with_a_margin(capsys, jobs):
    # alpha 10 s + beta 20 s + gamma_conc 30 s on churn and drain, glibc: shards
    # of 3 cells (alpha/churn, beta/churn, gamma_conc/churn | ...): 60 s each
    err = capsys.readouterr().err
    assert "2 shards (--shard k/2): 1 min 00 s to 1 min 00 s each" in err
    assert slurm_mod.shard_time(60, 1.5) == "0-00:12:00"  # 90 s + 10 min, rounded up
    assert "#SBATCH --time=0-00:12:00" in read(jobs, "shard.sbatch")
    assert "(--array=1-2, --time=0-00:12:00: the longest shard's 1 min 00 s x 1.5 + 10 min)" in err


def test_slurm_time_format():
    assert slurm_mod.slurm_time(1) == "0-00:01:00"
    assert slurm_mod.slurm_time(3 * 86400 + 3601) == "3-01:01:00"


def test_time_can_be_given_and_must_be_a_slurm_time(study, tmp_path, fake_calibration, capsys):
    args = (*SELECTION, "--shards", "2", "--results-dir", tmp_path / "b", "--calibration", fake_calibration)
    assert study("slurm", *args, "--time", "2-00:00:00") == 0
    assert "#SBATCH --time=2-00:00:00" in read(tmp_path / "b", "shard.sbatch")
    assert study("slurm", *args, "--time", "two days") == 2
    assert "expected D-HH:MM:SS" in capsys.readouterr().err


def test_without_an_estimate_the_time_must_be_given(study, tmp_path, capsys):
    assert study("slurm", *SELECTION, "--shards", "2", "--results-dir", tmp_path / "b",
                 "--calibration", tmp_path / "none.json") == 2
    assert "give the shard jobs' --time" in capsys.readouterr().err


def test_every_shard_gets_the_selection_of_the_plan(study, jobs, capsys):
    from dstudy_runner.cli import main
    sel = selection_of(jobs)
    assert "--allocators-file" in sel  # the fixture's, as an absolute path
    capsys.readouterr()
    assert study("run", *SELECTION, "--list") == 0
    whole = capsys.readouterr().out.split()
    shards = []
    for k in (1, 2):
        assert main(["run", *sel, "--bench", str(FAKE_BENCH), "--shard", f"{k}/2", "--list"]) == 0
        shards.append(capsys.readouterr().out.split())
    assert shards[0] and shards[1] and sorted(shards[0] + shards[1]) == sorted(whole)


def fake_sbatch(tmp_path):
    """A stand-in sbatch: logs its arguments, prints job ids 101, 102, ..."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    log = tmp_path / "sbatch.log"
    (bin_dir / "sbatch").write_text(f"""#!/bin/bash
n=$(( $(cat {log} 2>/dev/null | wc -l) + 101 ))
echo "$*" >> {log}
echo $n
""")
    (bin_dir / "sbatch").chmod(0o755)
    return dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}"), log


def test_submit_chains_build_array_and_merge(jobs, tmp_path):
    env, log = fake_sbatch(tmp_path)
    out = subprocess.run([str(jobs / "slurm" / "submit.sh")], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    calls = log.read_text().splitlines()
    slurm = jobs / "slurm"
    assert calls == [f"--parsable {slurm}/build.sbatch",
                     f"--parsable --dependency=afterok:101 {slurm}/shard.sbatch",
                     f"--parsable --dependency=afterany:102 {slurm}/merge.sbatch"]
    assert read(jobs, "jobs.txt") == "submitted: build=101 shards=102 merge=103\n"


def test_resubmit_takes_shard_numbers(jobs, tmp_path):
    env, log = fake_sbatch(tmp_path)
    resubmit = str(jobs / "slurm" / "resubmit.sh")
    for bad in ([], ["0"], ["3"], ["x"]):
        assert subprocess.run([resubmit, *bad], env=env, capture_output=True).returncode == 2
    no_bin = subprocess.run([resubmit, "2"], env=env, capture_output=True, text=True)
    assert no_bin.returncode == 2 and "the build job did not succeed" in no_bin.stderr
    (jobs / "bin").mkdir()
    (jobs / "bin" / "dstudy_bench").symlink_to(FAKE_BENCH)
    out = subprocess.run([resubmit, "1", "2"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    slurm = jobs / "slurm"
    assert log.read_text().splitlines() == [f"--parsable --array=1,2 {slurm}/shard.sbatch",
                                            f"--parsable --dependency=afterany:101 {slurm}/merge.sbatch"]


def test_the_shard_job_runs_and_continues_its_folder(jobs, study, tmp_path, env):
    """shard.sbatch as Slurm would start it (bash, SLURM_ARRAY_TASK_ID): a
    new run in shards/shard-k-of-2; started again, it has nothing left."""
    (jobs / "bin").mkdir()
    (jobs / "bin" / "dstudy_bench").symlink_to(FAKE_BENCH)
    digest = hashlib.sha256(FAKE_BENCH.read_bytes()).hexdigest()
    (jobs / "bin" / "dstudy_bench.sha256").write_text(f"{digest}  dstudy_bench\n")
    dirs = []
    for k in ("1", "2", "2"):
        out = subprocess.run(["bash", str(jobs / "slurm" / "shard.sbatch")], capture_output=True, text=True,
                             env=dict(os.environ, SLURM_ARRAY_TASK_ID=k, SLURM_JOB_ID="7"))
        assert out.returncode == 0, out.stderr
        dirs.append(jobs / "shards" / f"shard-{k}-of-2")
    assert len(load_results(dirs[2])["manifest"]["resumed"]) == 1
    assert study("merge", tmp_path / "m", dirs[0], dirs[1], bench=False) == 0
    doc = load_results(tmp_path / "m")
    validate_results(doc)
    assert doc["manifest"]["cells_ok"] == 6 and doc["manifest"]["shards_missing"] == []
    # a binary changed under the run is refused
    (jobs / "bin" / "dstudy_bench.sha256").write_text(f"{'0' * 64}  dstudy_bench\n")
    out = subprocess.run(["bash", str(jobs / "slurm" / "shard.sbatch")], capture_output=True, text=True,
                         env=dict(os.environ, SLURM_ARRAY_TASK_ID="1"))
    assert out.returncode != 0

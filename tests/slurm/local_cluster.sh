# A Slurm cluster of one node, this machine, for the Slurm test
# (run_local_slurm_test.sh sources this file). Debian's packages (slurmctld,
# slurmd, slurm-client, munge: scripts/setup.sh --slurm), no systemd: munged,
# slurmctld and slurmd run as plain processes from a generated slurm.conf,
# with every file (key, sockets, state, spool, logs) in one folder and ports
# of their own, so nothing on the machine is touched and two clusters never
# meet. Needs root (slurmd starts jobs as their user).
#
#   cluster_up DIR     start munged, slurmctld and slurmd; exports SLURM_CONF
#   cluster_down DIR   stop them (by their pid files); safe to call twice

cluster_free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cluster_up() {
  local dir=$1 node cpus mem
  for tool in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
    command -v "$tool" >/dev/null || {
      echo "local_cluster: $tool not found: install Slurm with scripts/setup.sh --slurm" >&2; return 2; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "local_cluster: needs root (slurmd starts jobs as their user)" >&2; return 2; }
  # slurmd 22.05 starts its cgroup plugin whatever slurm.conf says, and it
  # finds the cgroup version from the file system at /sys/fs/cgroup. A
  # machine, a VM or a container has one; a bare chroot (a fresh Debian root)
  # has no /sys at all. There the cluster mounts sysfs, a tmpfs at
  # /sys/fs/cgroup and the named v1 hierarchy 'systemd' in it (what slurmd's
  # cgroup/v1 plugin checks for; proctrack/linuxproc and task/none use no
  # controller), notes each in $dir/mounts, and cluster_down unmounts them.
  # (A private mount namespace would be tidier, but in a chroot '/' is no
  # mount point, so one cannot be made private there.)
  mkdir -p "$dir"
  : > "$dir/mounts"
  if ! awk '$2 ~ "^/sys/fs/cgroup" {found = 1} END {exit !found}' /proc/mounts; then
    echo "local_cluster: no cgroup file system at /sys/fs/cgroup (a chroot?): mounting one for slurmd"
    if ! mountpoint -q /sys; then
      mount -t sysfs sysfs /sys && echo /sys >> "$dir/mounts" || return 2
    fi
    mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup && echo /sys/fs/cgroup >> "$dir/mounts" || return 2
    mkdir -p /sys/fs/cgroup/systemd
    mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd &&
      echo /sys/fs/cgroup/systemd >> "$dir/mounts" || return 2
  fi
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 700 "$dir/munge"
  mungekey --create --keyfile="$dir/munge/munge.key" --bits=1024
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.sock" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" ||
    { cluster_logs "$dir" "munged did not start"; return 1; }
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
  cat > "$dir/slurm.conf" <<EOF
ClusterName=dstudytest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(cluster_free_port)
SlurmdPort=$(cluster_free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=3600
KillWait=10
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i || { cluster_logs "$dir" "slurmctld did not start"; return 1; }
  slurmd || { cluster_logs "$dir" "slurmd did not start"; return 1; }
  local i
  for i in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qx idle; then
      echo "local_cluster: node $node up ($cpus CPUs) in $dir"
      return 0
    fi
    sleep 1
  done
  cluster_logs "$dir" "the node did not come up within 60 s"
  return 1
}

cluster_logs() {  # dir message: the message, then the daemons' last log lines
  echo "local_cluster: $2; the daemons' logs:" >&2
  tail -n 20 "$1"/log/*.log >&2 || true
}

cluster_down() {
  local dir=$1 pidfile pid i
  # jobs still there (a test that failed half-way): cancel them first, so
  # their processes end with them
  if [ -f "$dir/slurmctld.pid" ]; then
    SLURM_CONF=$dir/slurm.conf scancel --quiet --user="$(id -un)" 2>/dev/null || true
    for i in $(seq 30); do
      [ -z "$(SLURM_CONF=$dir/slurm.conf squeue -h 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  # what cluster_up mounted, innermost first
  if [ -f "$dir/mounts" ]; then
    tac "$dir/mounts" | while read -r m; do umount "$m" || umount -l "$m" || true; done
    rm -f "$dir/mounts"
  fi
}

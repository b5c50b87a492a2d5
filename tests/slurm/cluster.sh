#!/bin/bash
# A one-node Slurm for the fleet test, without systemd: munged, slurmctld -D and slurmd -D started here in the
# background, state and logs under $SLURM_TEST_DIR. Source it, then `cluster_start` / `cluster_stop`.
# Debian's slurm-wlm 22.05: proctrack/linuxproc and task/none need no cgroup or systemd; ReturnToService=2 lets
# the node come back by itself after a restart.

cluster_start() {
  : "${SLURM_TEST_DIR:?}"
  mkdir -p "$SLURM_TEST_DIR"/{state,spool,logs}
  local node
  node=$(hostname -s)
  # NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
  local hw
  hw=$(slurmd -C | head -1 | sed "s/^NodeName=[^ ]*/NodeName=$node/")
  local ctld_port=$((16000 + RANDOM % 2000)) d_port=$((18000 + RANDOM % 2000))
  cat > "$SLURM_TEST_DIR/slurm.conf" <<CONF
ClusterName=memtrace
SlurmctldHost=$node
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
StateSaveLocation=$SLURM_TEST_DIR/state
SlurmdSpoolDir=$SLURM_TEST_DIR/spool
SlurmctldPidFile=$SLURM_TEST_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_TEST_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_TEST_DIR/logs/slurmctld.log
SlurmdLogFile=$SLURM_TEST_DIR/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
MinJobAge=600
$hw State=UNKNOWN
PartitionName=main Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF=$SLURM_TEST_DIR/slurm.conf
  STARTED_MUNGE=""
  if ! munge -n >/dev/null 2>&1; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
    [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
    runuser -u munge -- /usr/sbin/munged
    STARTED_MUNGE=yes
    for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  slurmctld -D -i -f "$SLURM_CONF" > "$SLURM_TEST_DIR/logs/slurmctld.out" 2>&1 &
  CTLD_PID=$!
  for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.2; done
  slurmd -D -f "$SLURM_CONF" > "$SLURM_TEST_DIR/logs/slurmd.out" 2>&1 &
  SLURMD_PID=$!
  for _ in $(seq 150); do sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && return 0; sleep 0.2; done
  echo "slurm did not come up; logs in $SLURM_TEST_DIR/logs" >&2
  tail -20 "$SLURM_TEST_DIR"/logs/*.log >&2 || true
  return 1
}

cluster_stop() {
  scancel --quiet --full -u root 2>/dev/null || true
  [ -n "${SLURMD_PID:-}" ] && kill "$SLURMD_PID" 2>/dev/null
  [ -n "${CTLD_PID:-}" ] && kill "$CTLD_PID" 2>/dev/null
  wait "${SLURMD_PID:-}" "${CTLD_PID:-}" 2>/dev/null || true
  if [ -n "${STARTED_MUNGE:-}" ]; then pkill -x munged 2>/dev/null || true; fi
}

# Waits until job $1 (all its array tasks) has left the queue, at most $2 seconds.
wait_gone() {
  local deadline=$((SECONDS + ${2:-300}))
  while squeue -h -j "$1" 2>/dev/null | grep -q .; do
    [ $SECONDS -ge $deadline ] && { echo "job $1 still queued after ${2:-300}s" >&2; squeue >&2; return 1; }
    sleep 0.5
  done
}

#!/usr/bin/env bash
# Issue 13: cfscan on a real scheduler.  Starts a single-node Slurm cluster (Debian's
# slurm-wlm and munge, no systemd: munged as the munge user on its own socket, slurmctld and
# slurmd from a generated slurm.conf for localhost with every state directory under a
# temporary folder), submits an array job of 4 shards over a generated archive and a merge
# job that depends on it (afterok), and checks the merge against one local scan: every count
# exactly, top lists within their printed error bounds.  Then one shard fails on purpose (a
# damaged input), the merge job never runs, a merge of what is there names the missing
# shard, only that task is rerun, and the merge again equals the local scan.  Every daemon
# is stopped by its pid at the end, also on failure.
# Usage: tests/slurm/run.sh BUILD_DIR.  Exit 77 (skipped) when Slurm or munge is missing
# or this is not root (the daemons need it).
set -euo pipefail
B=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
CFSCAN=$B/cfscan
CFSGEN=$B/cfsgen
for p in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v "$p" >/dev/null 2>&1 || { echo "slurm test: $p not installed (tools/install-deps.sh --test installs slurm-wlm, munge): skipped" >&2; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm test: needs root to start the daemons: skipped" >&2; exit 77; }
command -v node >/dev/null 2>&1 || { echo "slurm test: node missing (compares the reports): skipped" >&2; exit 77; }

T=$(mktemp -d /tmp/cfscan-slurm.XXXXXX)
chmod 755 "$T"
MS=/run/cfscan-munge.$$
PIDS=()
cleanup() {
  rc=$?
  # slurmd, slurmctld, munged: each by its pid, waited for, whatever happened before
  for pf in "$T/slurmd.pid" "$T/slurmctld.pid" "$MS/munged.pid"; do
    [ -s "$pf" ] || continue
    pid=$(cat "$pf")
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$rc" -ne 0 ]; then
    echo "slurm test FAILED (exit $rc); logs:" >&2
    for f in "$T"/*.log "$MS"/munged.log "$T"/job-*.out; do
      [ -f "$f" ] && { echo "==> $f <=="; tail -n 30 "$f"; }
    done >&2
    sinfo -N -l >&2 2>/dev/null || true
  fi
  rm -rf "$T" "$MS"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "slurm test: $*" >&2; exit 1; }

# ---- the archive: 2 distributions x 24 hours, then the local oracle ---------------------------
"$CFSGEN" -o "$T/g" --dists 2 --days 1 --lines-per-file 100 >/dev/null 2>&1
mkdir "$T/logs" && mv "$T"/g/*.gz "$T/logs/"
"$CFSCAN" scan "$T/logs" --format json -q > "$T/local.json"

# ---- munge on its own socket, then Slurm ----------------------------------------------------------
install -d -o munge -g munge -m 0755 "$MS"
runuser -u munge -- munged --socket="$MS/munge.socket" --pid-file="$MS/munged.pid" \
  --log-file="$MS/munged.log" --seed-file="$MS/munged.seed"
for _ in $(seq 50); do [ -S "$MS/munge.socket" ] && break; sleep 0.1; done
munge -S "$MS/munge.socket" -n | unmunge -S "$MS/munge.socket" >/dev/null || fail "munge does not work"

H=$(hostname -s)
# Two ports below the kernel's ephemeral range (ip_local_port_range starts at 32768), so that
# no outgoing connection of a test running beside this one can hold them, and free now (a
# connect to a free port is refused).  A port in the ephemeral range once left slurmd unable to
# bind, and the node stayed 'unknown*' until the poll gave up.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((10000 + RANDOM % 20000))
    [ "$p" -ne "${1:-0}" ] || continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  fail "no free port found"
}
CTLD_PORT=$(free_port)
SLURMD_PORT=$(free_port "$CTLD_PORT")
install -d -o slurm -g slurm "$T/state" "$T/logdir"
install -d "$T/spool"
cat > "$T/slurm.conf" <<CONF
ClusterName=cfscantest
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MS/munge.socket
SlurmUser=slurm
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
NodeName=$H NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES State=UP MaxTime=10
CONF
touch "$T/slurmctld.log" "$T/slurmd.log"
chown slurm:slurm "$T/slurmctld.log"
export SLURM_CONF=$T/slurm.conf
slurmctld
# slurmd registers once at start: start it when the controller answers
for _ in $(seq 100); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.1; done
scontrol ping 2>/dev/null | grep -q 'is UP' || fail "slurmctld does not answer"
slurmd
for _ in $(seq 300); do
  st=$(sinfo -h -o %T 2>/dev/null || true)
  [ "$st" = idle ] && break
  if [ -s "$T/slurmd.pid" ] && ! kill -0 "$(cat "$T/slurmd.pid")" 2>/dev/null; then
    fail "slurmd exited at start (its log follows)"
  fi
  ! grep -q 'Unable to bind listen port' "$T/slurmd.log" || fail "slurmd cannot bind its port (its log follows)"
  sleep 0.2
done
[ "$st" = idle ] || fail "the node never became idle (state '$st')"

# ---- the jobs ---------------------------------------------------------------------------------------
# A shard task: --shard auto/4 reads SLURM_ARRAY_TASK_ID (the count is given, so that a
# rerun of one task, --array=K, whose SLURM_ARRAY_TASK_COUNT is 1, is still shard K of 4).
cat > "$T/shard.sh" <<JOB
#!/bin/sh
"$CFSCAN" scan "$T/logs" --shard auto/4 -o "\$1/shard-\$SLURM_ARRAY_TASK_ID" -q >/dev/null || [ \$? -eq 3 ]
JOB
# The merge: --expect 4 names missing shards instead of merging what is there.
cat > "$T/merge.sh" <<JOB
#!/bin/sh
"$CFSCAN" merge "\$1"/shard-* --expect 4 -o "\$1/merged" --format json -q > "\$1/merged.json" || [ \$? -eq 3 ]
JOB
chmod +x "$T/shard.sh" "$T/merge.sh"

# Wait until none of the jobs given is queued or running (any of them may be left pending
# with a reason, which is printed).
wait_jobs() {
  for _ in $(seq 300); do
    q=$(squeue -h -j "$1" -o '%i %T %r' 2>/dev/null || true)
    [ -z "$q" ] && return 0
    if echo "$q" | grep -q DependencyNeverSatisfied; then echo "$q"; return 0; fi
    sleep 0.2
  done
  fail "jobs $1 did not finish: $q"
}

# The merged report against the local one: node strips the 403 cause breakdowns (each shard
# judges its held-back 403s against its own inputs; see README "Nightly and at scale"),
# compares the rest exactly, and checks every top list item within its printed bounds when
# the cause's totals agree.
compare() {
  node - "$1" "$T/local.json" <<'JS'
const fs = require('fs');
const [m, l] = process.argv.slice(2).map(f => JSON.parse(fs.readFileSync(f, 'utf8')));
const strip = v => Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ?
  Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'causes' && k !== 'settle_with').map(([k, x]) => [k, strip(x)])) : v;
const a = JSON.stringify(strip(m)), b = JSON.stringify(strip(l));
if (a !== b) { console.error('merged and local reports differ outside the 403 causes'); process.exit(1); }
let checked = 0;
for (const [i, d] of l.forbidden.distributions.entries())
  for (const c of d.causes) {
    const mc = m.forbidden.distributions[i].causes.find(x => x.cause === c.cause);
    if (!mc || mc.requests !== c.requests) continue;
    for (const t of ['top_uris', 'top_clients', 'top_edges']) {
      if (!c[t] || !mc[t] || !Array.isArray(c[t].items) || !Array.isArray(mc[t].items)) continue;
      const truth = new Map(c[t].items.map(x => [x.value, x]));
      for (const it of mc[t].items) {
        const want = truth.get(it.value);
        if (!want) continue;
        const lo = it.count - it.error - (want.error || 0), hi = it.count + (want.error || 0);
        if (want.count < lo || want.count > hi) { console.error(`${t} ${it.value}: ${it.count}±${it.error} vs ${want.count}`); process.exit(1); }
        checked++;
      }
    }
  }
if (!checked) { console.error('no top list compared'); process.exit(1); }
JS
}

mkdir "$T/run1" "$T/run2"
J=$(sbatch --parsable --array=0-3 -o "$T/job-shard-%a.out" "$T/shard.sh" "$T/run1")
M=$(sbatch --parsable --dependency=afterok:"$J" -o "$T/job-merge.out" "$T/merge.sh" "$T/run1")
wait_jobs "$J,$M" >/dev/null
[ -s "$T/run1/merged.json" ] || fail "the merge job wrote no report"
compare "$T/run1/merged.json" || fail "run 1: merge of 4 Slurm shards differs from one local scan"
echo "slurm test: 4 shards + dependent merge equal one local scan"

# ---- one shard fails on purpose --------------------------------------------------------------------
F=$(ls "$T/logs" | head -n 1)
K=$(for k in 0 1 2 3; do if grep -q "	$F\$" "$T/run1/shard-$k/inputs.cfm"; then echo "$k"; fi; done)
[ -n "$K" ] || fail "$F is in no shard's manifest"
cp "$T/logs/$F" "$T/good.gz"
head -c 300 "$T/good.gz" > "$T/logs/$F" # a damaged input: that task exits 4
J=$(sbatch --parsable --array=0-3 -o "$T/job-shard2-%a.out" "$T/shard.sh" "$T/run2")
M=$(sbatch --parsable --dependency=afterok:"$J" -o "$T/job-merge2.out" "$T/merge.sh" "$T/run2")
out=$(wait_jobs "$J,$M")
echo "$out" | grep -q "^$M .*DependencyNeverSatisfied" || fail "the merge job should wait forever after a failed shard: '$out'"
scancel "$M"
[ ! -e "$T/run2/merged" ] || fail "a merge ran after a failed shard"
# the failed task's output is not a shard of the set: without it a merge names it missing
rm -rf "$T/run2/shard-$K"
if "$CFSCAN" merge "$T"/run2/shard-* --expect 4 -o "$T/run2/partial" -q >/dev/null 2>"$T/partial.err"; then
  fail "a merge of 3 of 4 shards succeeded"
fi
grep -q "1 of 4 shards missing: $K" "$T/partial.err" || fail "missing shard not named: $(cat "$T/partial.err")"
# fix the input, rerun only that task, merge again
cp "$T/good.gz" "$T/logs/$F"
J=$(sbatch --parsable --array="$K" -o "$T/job-shard3-%a.out" "$T/shard.sh" "$T/run2")
wait_jobs "$J" >/dev/null
M=$(sbatch --parsable -o "$T/job-merge3.out" "$T/merge.sh" "$T/run2")
wait_jobs "$M" >/dev/null
[ -s "$T/run2/merged.json" ] || fail "the merge after the rerun wrote no report"
compare "$T/run2/merged.json" || fail "run 2: merge after rerunning shard $K differs from one local scan"
echo "slurm test: failed shard $K named missing, rerun alone, merge equals one local scan"

#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for CI and for trying profiles/slurm on a laptop.
#
#   bash .ci/slurm.sh install   install slurm-wlm and munge with apt-get if missing
#   bash .ci/slurm.sh up        install if needed, write the config, start munged,
#                               slurmctld and slurmd, wait until the node is idle
#   bash .ci/slurm.sh status    print the cluster's state; exit 1 unless it is up
#   bash .ci/slurm.sh down      cancel every job, stop the daemons, remove the directory
#
# Everything (config, munge key and socket, state, spool, logs, pid files) lives in
# $BIODL_SLURM_DIR (default /tmp/biodl-slurm); nothing under /etc is changed, except
# that /etc/slurm/slurm.conf is made a link to the config when no such file exists, so
# that sbatch, squeue and snakemake find the cluster without SLURM_CONF. The node is this
# machine (its real CPUs, its memory less some headroom) with one fake GPU, so that jobs
# asking for --gpus=1 are scheduled. Needs root (apt-get, and slurmd runs jobs as root).
set -euo pipefail

DIR=${BIODL_SLURM_DIR:-/tmp/biodl-slurm}
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF
CTLD_PORT=${BIODL_SLURMCTLD_PORT:-6817}
SLURMD_PORT=${BIODL_SLURMD_PORT:-6818}
# squeue forgets finished jobs after MinJobAge seconds; Snakemake's SLURM plugin polls with
# squeue only when MinJobAge >= 3 x its first-check delay (40 s by default), and waits up to
# 180 s between polls, so keep finished jobs well beyond that.
MIN_JOB_AGE=600
WAIT_SECONDS=60
SYSTEM_CONF=/etc/slurm/slurm.conf

die() {
    echo "slurm.sh: error: $*" >&2
    exit 1
}

running() { # running NAME: the daemon whose pid file is $DIR/NAME.pid is alive
    local pid
    [[ -s $DIR/$1.pid ]] || return 1
    pid=$(<"$DIR/$1.pid")
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

install_packages() {
    if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null; then
        return
    fi
    [[ $(id -u) -eq 0 ]] || die "slurm-wlm and munge are missing; install them as root (sudo bash $0 install)"
    echo "slurm.sh: installing slurm-wlm and munge" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
}

write_config() {
    local host node memory headroom
    host=$(hostname -s)
    # e.g. "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
    node=$(slurmd -C | head -n 1)
    [[ $node == NodeName=* ]] || die "slurmd -C gave no node line: $node"
    memory=$(grep -o 'RealMemory=[0-9]*' <<<"$node" | cut -d= -f2)
    # leave 10% (at least 1 GiB) of the memory to the system and the daemons
    headroom=$((memory / 10 > 1024 ? memory / 10 : 1024))
    ((memory > headroom + 512)) || die "too little memory for a cluster: ${memory} MB"
    node=${node/RealMemory=$memory/RealMemory=$((memory - headroom))}
    node=${node/NodeName=* CPUs=/NodeName=$host NodeAddr=127.0.0.1 CPUs=}
    cat >"$CONF" <<EOF
# Written by .ci/slurm.sh: a one-node cluster for tests; removed by "slurm.sh down".
ClusterName=biodl
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge.socket
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
# no cgroups: processes are tracked through /proc, tasks are not confined
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
PropagateResourceLimits=NONE
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# no accounting database: sacct cannot answer, squeue must (see MinJobAge)
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MinJobAge=$MIN_JOB_AGE
ReturnToService=2
InactiveLimit=0
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
# one fake GPU (gres.conf points it at /dev/null) so that --gpus=1 jobs are scheduled
GresTypes=gpu
$node Gres=gpu:fake:1 State=UNKNOWN
PartitionName=biodl Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    echo "NodeName=$host Name=gpu Type=fake File=/dev/null" >"$DIR/gres.conf"
}

link_system_config() {
    # Client commands read /etc/slurm/slurm.conf unless SLURM_CONF is set: point it here,
    # but never replace a real configuration.
    if [[ ! -e $SYSTEM_CONF && ! -L $SYSTEM_CONF ]] && mkdir -p "$(dirname "$SYSTEM_CONF")" 2>/dev/null; then
        ln -s "$CONF" "$SYSTEM_CONF" 2>/dev/null || true
    fi
}

unlink_system_config() {
    if [[ -L $SYSTEM_CONF && $(readlink "$SYSTEM_CONF") == "$CONF" ]]; then
        rm -f "$SYSTEM_CONF"
    fi
}

node_state() {
    sinfo --noheader --Node --format=%T 2>/dev/null | head -n 1 || true
}

show_logs() {
    local log
    for log in munged slurmctld slurmd; do
        [[ -f $DIR/$log.log ]] && { echo "--- $DIR/$log.log (last lines)"; tail -n 15 "$DIR/$log.log"; }
    done >&2
    return 0
}

up() {
    install_packages
    [[ $(id -u) -eq 0 ]] || die "run as root (sudo bash $0 up): slurmd starts jobs as their users"
    if ! running munged && ! running slurmctld && ! running slurmd; then
        rm -rf "$DIR"
        mkdir -p "$DIR/state" "$DIR/spool"
        chmod 755 "$DIR" # munged wants its socket's directory searchable by everyone
        write_config
    fi
    [[ -f $CONF ]] || die "$DIR holds running daemons but no slurm.conf; run: bash $0 down"
    link_system_config
    if [[ ! -s $DIR/munge.key ]]; then
        if command -v mungekey >/dev/null; then
            mungekey --create --keyfile="$DIR/munge.key"
        else
            dd if=/dev/urandom of="$DIR/munge.key" bs=1024 count=1 status=none
        fi
        chmod 400 "$DIR/munge.key"
    fi
    running munged || munged --socket="$DIR/munge.socket" --key-file="$DIR/munge.key" \
        --pid-file="$DIR/munged.pid" --log-file="$DIR/munged.log" --seed-file="$DIR/munged.seed" ||
        { show_logs; die "munged did not start"; }
    running slurmctld || slurmctld -f "$CONF" || { show_logs; die "slurmctld did not start"; }
    running slurmd || slurmd -f "$CONF" || { show_logs; die "slurmd did not start"; }
    local waited=0 state
    while :; do
        state=$(node_state)
        case $state in
        idle* | mixed* | allocated*) break ;;
        esac
        if ((waited >= WAIT_SECONDS)); then
            show_logs
            die "the node is '${state:-unknown}', not idle, after ${WAIT_SECONDS} s (logs above, in $DIR)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "slurm.sh: one-node cluster up (node $state, config $CONF)" >&2
}

down() {
    local name pid i
    if running slurmctld; then
        # jobs would outlive slurmd: cancel them all (every job here is a test's)
        squeue --noheader --format=%i 2>/dev/null | xargs -r timeout 10 scancel >/dev/null 2>&1 || true
    fi
    for name in slurmd slurmctld munged; do
        running "$name" || continue
        pid=$(<"$DIR/$name.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    unlink_system_config
    rm -rf "$DIR"
    echo "slurm.sh: cluster down" >&2
}

status() {
    local name ok=0
    for name in munged slurmctld slurmd; do
        if running "$name"; then
            echo "$name: running (pid $(<"$DIR/$name.pid"))"
        else
            echo "$name: not running"
            ok=1
        fi
    done
    if ((ok == 0)); then
        sinfo --Node --long || ok=1
        case $(node_state) in
        idle* | mixed* | allocated*) ;;
        *) ok=1 ;;
        esac
    fi
    return "$ok"
}

case ${1:-} in
install) install_packages ;;
up) up ;;
down) down ;;
status) status ;;
*)
    echo "usage: bash $0 install|up|down|status" >&2
    exit 2
    ;;
esac

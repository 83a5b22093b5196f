#!/usr/bin/env bash
# Install and start a single-node Son of Grid Engine cluster on a Debian 12 machine, as root.
# Idempotent. Used by .ci/run; developers run it with sudo to enable the SGE tests (tests/cluster/test_cluster.py).
# The README (Running on a cluster, Testing the profiles) says what the tests check.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
host=$(hostname)

if ! command -v qconf >/dev/null || [ ! -x /usr/sbin/sge_qmaster ]; then
  apt-get update -qq
  echo "gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string default
gridengine-common shared/gridenginemaster string $host
gridengine-client shared/gridengineconfig boolean true
gridengine-client shared/gridenginecell string default
gridengine-client shared/gridenginemaster string $host
gridengine-master shared/gridengineconfig boolean true
gridengine-master shared/gridenginecell string default
gridengine-master shared/gridenginemaster string $host" | debconf-set-selections
  apt-get install -y -qq --no-install-recommends gridengine-master gridengine-exec gridengine-client >/dev/null
fi

common=$SGE_ROOT/$SGE_CELL/common
mkdir -p "$common"
# the hostname reverse-resolves to localhost here: tell SGE both names are this host
echo "$host localhost" >"$common/host_aliases"
echo "$host" >"$common/act_qmaster"
chown -R sgeadmin:sgeadmin "$SGE_ROOT/$SGE_CELL" 2>/dev/null || true

if ! pgrep -x sge_qmaster >/dev/null; then
  /usr/sbin/sge_qmaster
  for _ in $(seq 60); do qstat >/dev/null 2>&1 && break; sleep 0.5; done
fi

# global configuration: allow root, fast scheduling, immediate accounting
# (qconf -Mconf takes the configuration's name from the file name)
# (continuation lines are joined first so each attribute is one line)
mkdir -p /tmp/sge_conf && qconf -sconf global | sed -e ':a' -e '/\\$/N; s/\\\n *//; ta' >/tmp/sge_conf/global
sed -i -e 's/^min_uid .*/min_uid                      0/' -e 's/^min_gid .*/min_gid                      0/' \
  -e 's/^reporting_params .*/reporting_params             accounting=true reporting=false flush_time=00:00:01 joblog=true sharelog=00:00:00 accounting_flush_time=00:00:00/' \
  -e 's/^load_report_time .*/load_report_time             00:00:02/' /tmp/sge_conf/global
qconf -Mconf /tmp/sge_conf/global >/dev/null
qconf -ssconf >/tmp/sge_sched.conf
sed -i -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
  -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' /tmp/sge_sched.conf
qconf -Msconf /tmp/sge_sched.conf >/dev/null

# this host as admin, submit and execution host; a parallel environment for multi-threaded jobs; one queue
qconf -ah "$host" >/dev/null 2>&1 || true
qconf -as "$host" >/dev/null 2>&1 || true
slots=$(nproc)
if ! qconf -sel 2>/dev/null | grep -qx "$host"; then
  printf 'hostname %s\nload_scaling NONE\ncomplex_values NONE\nuser_lists NONE\nxuser_lists NONE\nprojects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n' "$host" >/tmp/sge_exec.conf
  qconf -Ae /tmp/sge_exec.conf >/dev/null
fi
if ! qconf -spl | grep -qx smp; then
  printf 'pe_name smp\nslots 9999\nuser_lists NONE\nxuser_lists NONE\nstart_proc_args /bin/true\nstop_proc_args /bin/true\nallocation_rule $pe_slots\ncontrol_slaves FALSE\njob_is_first_task TRUE\nurgency_slots min\naccounting_summary FALSE\nqsort_args NONE\n' >/tmp/sge_pe.conf
  qconf -Ap /tmp/sge_pe.conf >/dev/null
fi
if ! qconf -sql | grep -qx all.q; then
  qconf -sq >/tmp/sge_queue.conf 2>/dev/null || true
  cat >/tmp/sge_queue.conf <<CONF
qname                 all.q
hostlist              $host
seq_no                0
load_thresholds       NONE
suspend_thresholds    NONE
nsuspend              1
suspend_interval      00:05:00
priority              0
min_cpu_interval      00:05:00
processors            UNDEFINED
qtype                 BATCH INTERACTIVE
ckpt_list             NONE
pe_list               smp
rerun                 FALSE
slots                 $slots
tmpdir                /tmp
shell                 /bin/bash
prolog                NONE
epilog                NONE
shell_start_mode      unix_behavior
starter_method        NONE
suspend_method        NONE
resume_method         NONE
terminate_method      NONE
notify                00:00:60
owner_list            NONE
user_lists            NONE
xuser_lists           NONE
subordinate_list      NONE
complex_values        NONE
projects              NONE
xprojects             NONE
calendar              NONE
initial_state         default
s_rt                  INFINITY
h_rt                  INFINITY
s_cpu                 INFINITY
h_cpu                 INFINITY
s_fsize               INFINITY
h_fsize               INFINITY
s_data                INFINITY
h_data                INFINITY
s_stack               INFINITY
h_stack               INFINITY
s_core                INFINITY
h_core                INFINITY
s_rss                 INFINITY
h_rss                 INFINITY
s_vmem                INFINITY
h_vmem                INFINITY
CONF
  qconf -Aq /tmp/sge_queue.conf >/dev/null
fi

pgrep -x sge_execd >/dev/null || /usr/sbin/sge_execd
# wait until the execution daemon has reported (the queue instance leaves the "u"nknown state)
for _ in $(seq 60); do qstat -f 2>/dev/null | grep -q "all.q@" && ! qstat -f -qs u 2>/dev/null | grep -q "all.q@" && break; sleep 0.5; done
qstat -f | sed 's/^/sge ready: /' | head -5

#!/usr/bin/env bash
# compare-peers.sh — kpki side by side with the tools people use today.
#
# Times, in one run and alternating (A B C D … A B C D …, so that load from anything
# else on the machine hits every tool alike), `kpki init` (release build) against the
# peer scripts of ../shared/peers (openssl.sh, cfssl.sh, easyrsa.sh, pycryptography.py
# in its charm style and with PEER_PY_DIRECT=1) doing the same job, and prints the
# median wall time of each and the ratios:
#
#   full    the kubeadm cluster PKI (3 CAs, 12 leaves, sa key, 5 kubeconfigs), RSA-2048
#   nodes   the same plus NODES extra node certificates: the peers' PEER_NODES=NODES
#           kubelet client certificates; kpki `--worker-nodes` with NODES/2 workers,
#           each a kubelet client and a kubelet serving certificate (+ a kubeconfig),
#           so both sides generate the same number of keys and certificates
#
# In the same alternation it measures kpki's own floor — the time of the job's RSA key
# generations (16 for full) one after the other, divided by the cores (`kpki-floor`) —
# and `kpki init --key-algorithm ecdsa-p256` (the < 50 ms goal).
#
# Usage: benches/compare-peers.sh            (RUNS=9 NODES=100 by default)
#   RUNS=N        runs per tool and job (medians need enough: RSA key generation time
#                 varies a lot with the prime search)
#   NODES=N       extra node certificates in the nodes job (even; default 100)
#   JOBS="full nodes"   which jobs
#   PEERS="openssl cfssl easyrsa py py-direct"   which peers
#   CHECK=0       skip verifying one kpki output with peers/check-layout.sh first
#   TMPDIR        where outputs go (the same filesystem for every tool)
# Installs the peers' Debian packages (golang-cfssl, easy-rsa) and Python
# `cryptography` when absent. Outputs hold private keys: they live in mktemp
# directories that are removed right after each run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
peers=${PEERS_DIR:-$(cd "$root/../shared/peers" 2>/dev/null && pwd || true)}
[ -n "$peers" ] && [ -f "$peers/openssl.sh" ] || {
    echo "compare-peers.sh: peer scripts not found (expected ../shared/peers; set PEERS_DIR)" >&2
    exit 1
}
runs=${RUNS:-9}
nodes=${NODES:-100}
jobs=${JOBS:-full nodes}
peer_list=${PEERS:-openssl cfssl easyrsa py py-direct}
if [ $((nodes % 2)) -ne 0 ]; then
    echo "compare-peers.sh: NODES must be even (kpki issues two certificates per worker)" >&2
    exit 1
fi

# --- the peers' tools -------------------------------------------------------
need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
[ -x /usr/bin/time ] || need_apt+=(time)
case " $peer_list " in *" cfssl "*)
    { command -v cfssl >/dev/null && command -v cfssljson >/dev/null; } || need_apt+=(golang-cfssl) ;;
esac
case " $peer_list " in *" easyrsa "*)
    [ -x "${EASYRSA_BIN:-/usr/share/easy-rsa/easyrsa}" ] || need_apt+=(easy-rsa) ;;
esac
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== installing ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
case " $peer_list " in *" py"*)
    python3 -c 'import cryptography' 2>/dev/null || {
        echo "== installing cryptography (pip)"
        python3 -m pip install -q cryptography 2>/dev/null ||
            python3 -m pip install -q --break-system-packages cryptography
    } ;;
esac

# --- kpki, release build ----------------------------------------------------
echo "== building kpki (release)"
(cd "$root" && cargo build --release --quiet -p kpki-cli -p kpki-benches --bin kpki --bin kpki-floor)
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
kpki=$target/release/kpki
floor=$target/release/kpki-floor

workers=""
for i in $(seq 1 $((nodes / 2))); do workers="$workers${workers:+,}node$i"; done
kpki_args=(--node-name node01 --advertise-address 10.0.0.10
    --control-plane-endpoint cp.example.internal:6443
    --apiserver-cert-extra-sans extra.example.com,192.0.2.7 --quiet)

# run TOOL JOB DIR: does the job once into DIR.
run() {
    local tool=$1 job=$2 dir=$3 n=0 w=()
    if [ "$job" = nodes ]; then n=$nodes; w=(--worker-nodes "$workers"); fi
    case $tool in
        kpki) "$kpki" init --dir "$dir" "${kpki_args[@]}" "${w[@]}" ;;
        kpki-p256) "$kpki" init --dir "$dir" "${kpki_args[@]}" "${w[@]}" --key-algorithm ecdsa-p256 ;;
        floor) "$floor" $((16 + n)) rsa-2048 >"$dir/floor.txt" ;;
        openssl) PEER_NODES=$n sh "$peers/openssl.sh" "$dir" ;;
        cfssl) PEER_NODES=$n sh "$peers/cfssl.sh" "$dir" ;;
        easyrsa) PEER_NODES=$n sh "$peers/easyrsa.sh" "$dir" ;;
        py) PEER_NODES=$n python3 "$peers/pycryptography.py" "$dir" ;;
        py-direct) PEER_NODES=$n PEER_PY_DIRECT=1 python3 "$peers/pycryptography.py" "$dir" ;;
    esac
}

if [ "${CHECK:-1}" != 0 ]; then
    echo "== checking one kpki output with peers/check-layout.sh (the same job as the peers)"
    d=$(mktemp -d)
    PEER_NODES=0 run kpki full "$d"
    "$peers/check-layout.sh" "$d" | tail -1
    rm -rf "$d"
fi

ms() { echo $(($(date +%s%N) / 1000000)); }
results=$(mktemp)
trap 'rm -f "$results"' EXIT

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(date -u +%H:%M:%SZ))"
for job in $jobs; do
    tools="kpki floor $peer_list"
    [ "$job" = full ] && tools="kpki floor kpki-p256 $peer_list"
    echo "== $job: $runs rounds of: $tools"
    for r in $(seq 1 "$runs"); do
        line="   round $r:"
        for tool in $tools; do
            d=$(mktemp -d)
            t0=$(date +%s%N)
            # The function runs in a child bash, so /usr/bin/time sees the tool's CPU time.
            if ! /usr/bin/time -f '%U %S' -o "$d.cpu" bash -c "$(declare -f run); $(declare -p kpki floor peers nodes workers kpki_args); run $tool $job $d" >"$d.log" 2>&1; then
                echo "compare-peers.sh: $tool ($job) failed:" >&2
                cat "$d.log" >&2
                rm -rf "$d" "$d.log" "$d.cpu"
                exit 1
            fi
            t1=$(date +%s%N)
            cpu=$(awk 'END { printf "%.1f", ($1 + $2) * 1000 }' "$d.cpu")
            if [ "$tool" = floor ]; then
                # The floor is what kpki-floor computed (keygen sum / cores), not its wall time.
                v=$(sed -n 's/^floor_s=\([0-9.]*\).*/\1/p' "$d/floor.txt")
                t=$(awk -v s="$v" 'BEGIN { printf "%.1f", s * 1000 }')
            else
                t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
            fi
            rm -rf "$d" "$d.log" "$d.cpu"
            echo "$job $tool $t $cpu" >>"$results"
            line="$line $tool=${t}ms"
        done
        echo "$line"
    done
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)  ($(date -u +%H:%M:%SZ))"

echo
echo "median over $runs runs, milliseconds. wall: elapsed (floor: its key generations' time / cores);"
echo "cpu: user+sys of the process and its children (floor: of its sequential key generations)."
echo "ratio = kpki / tool, of the medians."
printf '%-6s %-10s %9s %9s %9s %7s %9s %7s\n' job tool wall min max ratio cpu ratio
awk '
    function median(list,   n, v, i, j, x) {
        n = split(substr(list, 2), v, " ")
        for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] + 0 > x + 0) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
        lo = v[1]; hi = v[n]
        return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    { w[$1" "$2] = w[$1" "$2] " " $3; c[$1" "$2] = c[$1" "$2] " " $4 }
    END {
        for (k in w) { mw = median(w[k]); l = lo; h = hi; mc = median(c[k]); print k, mw, l, h, mc }
    }' "$results" | sort -k1,1 -k3,3n | awk '
    { mw[$1" "$2] = $3; mc[$1" "$2] = $6; rows[NR] = $0 }
    END {
        for (i = 1; i <= NR; i++) {
            split(rows[i], f, " ")
            kw = mw[f[1]" kpki"]; kc = mc[f[1]" kpki"]
            printf "%-6s %-10s %9.1f %9.1f %9.1f %7.3f %9.1f %7.3f\n", f[1], f[2], f[3], f[4], f[5], (f[3] > 0 ? kw / f[3] : 0), f[6], (f[6] > 0 ? kc / f[6] : 0)
        }
    }'
echo
echo "goals (full job): ratio on the py-direct row <= 0.6 (kpki at most 0.6x the fastest peer);"
echo "  ratio on the floor row <= 1.15 (kpki at most 1.15x its own key generations / cores);"
echo "  kpki-p256 median < 50 ms (its ratio column compares RSA with ECDSA and means nothing)"

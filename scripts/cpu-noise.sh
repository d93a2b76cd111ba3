#!/usr/bin/env bash
# The machine's own noise floor, outside Docker and cachebench: the same CPU work
# (hashing 2 × 64 MB of random bytes, like the quick default's compile step) timed
# N times, with the share of CPU the hypervisor took during each (/proc/stat steal).
# A verdict cannot be sharper than this: when a fixed loop varies by 15–20% from one
# run to the next, two caches 10% apart cannot be told apart in 10 rounds.
#
#   bash scripts/cpu-noise.sh [N]        (default 30 runs, about a minute)
#
# Prints one line: the median, the spread of log times (all runs, and the runs that
# lost at most 10% of their CPU), the spread of the difference of consecutive runs
# (what a paired comparison of two cells sees) and the steal.
set -euo pipefail
n="${1:-30}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c 64M /dev/urandom >"$work/blob"
python3 - "$n" "$work/blob" <<'EOF'
import math, statistics as st, subprocess, sys, time

n, blob = int(sys.argv[1]), sys.argv[2]

def cpu():
    f = list(map(int, open("/proc/stat").readline().split()[1:]))
    # user nice system irq softirq; steal
    return f[0] + f[1] + f[2] + f[5] + f[6], f[7]

runs = []
for _ in range(n):
    b0, s0 = cpu()
    t = time.perf_counter()
    subprocess.run(f"cat {blob} {blob} | sha256sum >/dev/null", shell=True, check=True)
    secs = time.perf_counter() - t
    b1, s1 = cpu()
    stolen = (s1 - s0) / max(1, (b1 - b0) + (s1 - s0))
    runs.append((secs, stolen))
    time.sleep(0.3)

def spread(xs):
    logs = [math.log(x) for x in xs]
    return st.stdev(logs) if len(logs) > 2 else float("nan")

quiet = [s for s, k in runs if k <= 0.10]
logs = [math.log(s) for s, _ in runs]
pairs = [logs[i + 1] - logs[i] for i in range(0, len(logs) - 1, 2)]
steal = sorted(k for _, k in runs)
print(
    f"cpu-noise: {n} runs, median {st.median(s for s, _ in runs):.3f} s; "
    f"sd(log) {spread([s for s, _ in runs]):.3f} "
    f"({len(quiet)} runs with at most 10% stolen: {spread(quiet):.3f}); "
    f"paired difference sd {st.stdev(pairs):.3f}; "
    f"stolen median {100 * st.median(steal):.0f}%, worst {100 * steal[-1]:.0f}%"
)
EOF

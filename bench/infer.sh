#!/usr/bin/env bash
# `kubench infer` against the floor and the seed's way, on one TorchScript model and input, at equal threads:
#   - floor: a bare loop of forward() in a minimal C++ program on the same libtorch (bench/infer_floor.cpp),
#   - seed:  a Python loop timing model(x) with Debian's python3-torch (the seed's benchmark_runner),
# alternating the three in each round, ROUNDS rounds of ITERATIONS timed queries each (after a warm-up).
# Prints p50/p99 per tool (medians over rounds) and the ratios; kubench's measurement overhead is its p50
# over the floor's (target under 1 %).
#   bench/infer.sh [BUILD_DIR] [ROUNDS] [ITERATIONS] [THREADS] [cnn|mlp]
# cnn: a small CNN on a 1x3x64x64 image (~13 ms here: compute-bound); mlp: a 3-layer MLP on 1x256 (tens of
# µs: the per-call cost of the loop around forward() shows).
set -euo pipefail
build=${1:-build/ci}
rounds=${2:-5}
iterations=${3:-2000}
threads=${4:-1}
model_kind=${5:-cnn}
[[ $model_kind == cnn || $model_kind == mlp ]] || { echo "model: cnn or mlp" >&2; exit 2; }
kubench=$build/kubench floor=$build/bench/infer_floor
[[ -x $kubench && -x $floor ]] || { echo "build first: cmake --build --preset ci --target kubench infer_floor" >&2; exit 2; }
# Debian's python3-torch is a module of Debian's own python3 (not of a pyenv one earlier in PATH).
py=${PYTHON:-$([[ -x /usr/bin/python3 ]] && echo /usr/bin/python3 || echo python3)}
"$py" -c 'import torch' 2>/dev/null || { echo "$py has no torch: install python3-torch (scripts/install-deps.sh --tests)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The model: a small CNN (3 conv blocks + linear, ~0.2 M parameters) on a 1x3x64x64 image, traced and saved
# by PyTorch as users deploy to C++; the input saved with torch.save so all three see the same tensor.
"$py" - "$work" "$model_kind" <<'PY'
import sys, torch
torch.manual_seed(0)
class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256), torch.nn.ReLU(),
                                          torch.nn.Linear(256, 10))
    def forward(self, x):
        return self.layers(x)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(64, 128, 3, padding=1), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1))
        self.fc = torch.nn.Linear(128, 1000)
    def forward(self, x):
        return self.fc(torch.flatten(self.features(x), 1))
net, x = (Net(), torch.randn(1, 3, 64, 64)) if sys.argv[2] == "cnn" else (Mlp(), torch.randn(1, 256))
torch.jit.trace(net.eval(), x).save(sys.argv[1] + "/model.pt")  # traced: scripting needs the class in a file
torch.save(x, sys.argv[1] + "/input.pt")
PY
cat >"$work/seed.py" <<'PY'
import json, sys, time, torch
model_path, input_path, iterations, warmup, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
model = torch.jit.load(model_path).eval()
x = torch.load(input_path)
ms = []
with torch.inference_mode():
    for _ in range(warmup + 1):
        model(x)
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        model(x)
        ms.append((time.perf_counter_ns() - t0) / 1e6)
print(json.dumps({"latencies_ms": ms}))
PY
warmup=20
run_kubench() {
  "$kubench" infer "$work/model.pt" --input "$work/input.pt" --iterations "$iterations" --warmup "$warmup" --threads "$threads" -o json 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); l=d["latency_ms"]; print(l["p50"], l["p99"])'
}
percentiles() { python3 -c '
import json,sys,math; v=sorted(json.load(sys.stdin)["latencies_ms"]); r=lambda p: v[max(0,math.ceil(p*len(v))-1)]
print(r(0.5), r(0.99))'; }
run_floor() { "$floor" "$work/model.pt" "$work/input.pt" "$iterations" "$warmup" "$threads" | percentiles; }
run_seed() { "$py" "$work/seed.py" "$work/model.pt" "$work/input.pt" "$iterations" "$warmup" "$threads" | percentiles; }

echo "model: $([[ $model_kind == cnn ]] && echo "small CNN, 1x3x64x64" || echo "3-layer MLP, 1x256") float32; $iterations queries per run, $rounds rounds, $threads intra-op thread(s)" >&2
declare -A p50 p99
for i in $(seq 1 "$rounds"); do
  # Rotate the order so drift in machine speed favours none of them.
  order=(kubench floor seed) line=""
  for ((k = 0; k < (i - 1) % 3; k++)); do order=("${order[@]:1}" "${order[0]}"); done
  for tool in "${order[@]}"; do
    read -r a b < <("run_$tool")
    p50[$tool]+="$a " p99[$tool]+="$b "
    line+=" $tool p50 $a p99 $b;"
  done
  echo "round $i:$line" >&2
done
python3 - "${p50[kubench]}" "${p99[kubench]}" "${p50[floor]}" "${p99[floor]}" "${p50[seed]}" "${p99[seed]}" <<'PY'
import statistics as st, sys
k50, k99, f50, f99, s50, s99 = ([float(x) for x in a.split()] for a in sys.argv[1:7])
m = st.median
print(f"{'':26}{'p50 ms':>10}{'p99 ms':>10}")
for name, a, b in (("kubench infer", k50, k99), ("bare forward() loop (C++)", f50, f99), ("Python loop (seed's way)", s50, s99)):
    print(f"{name:26}{m(a):10.4f}{m(b):10.4f}")
pairs = [k / f for k, f in zip(k50, f50)]
print(f"kubench / floor p50: median {m(pairs):.4f} ({(m(pairs)-1)*100:+.2f} %), range {min(pairs):.3f}-{max(pairs):.3f} (target under 1 %)")
print(f"kubench / floor p99: {m(k99)/m(f99):.4f}")
print(f"Python / kubench p50: {m(s50)/m(k50):.3f}x, p99: {m(s99)/m(k99):.3f}x")
PY

#!/usr/bin/env bash
# GPU check for the grading harness, run on a machine with an NVIDIA GPU (no Docker needed):
# grades the gpu:true exercise's reference, a device-losing wrong variant and a GPU memory hog,
# as root and with the candidate dropped to uid 65534. Writes JSON results to ${OUT:-/tmp/gpu-check}.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/gpu-check}; mkdir -p "$out"
ex=exercises/masked-mean-pooling
cat >/tmp/gpu_hog.py <<'PY'
import torch
def masked_mean(hidden, lengths):
    blocks = []
    while True:  # grab GPU memory until the allocator gives up
        blocks.append(torch.empty(8 * 1024**3, dtype=torch.uint8, device="cuda"))
PY
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/nvidia-smi.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
run() {  # name file [flags]
  local name=$1 file=$2; shift 2
  local t0=$(date +%s.%N)
  python3 -m graders.local_harness "$ex" "$file" --suite hidden "$@" >"$out/$name.json" 2>"$out/$name.err"
  local t1=$(date +%s.%N)
  python3 - "$out/$name.json" "$name" "$t0" "$t1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fails = [t["name"] for t in d["tests"] if t["outcome"] != "passed"]
print(f"{sys.argv[2]:28s} verdict={d['verdict']:8s} score={d['score']:.2f} tests={len(d['tests'])-len(fails)}/{len(d['tests'])} "
      f"events={d.get('events')} env={d.get('environment')} harness_s={d.get('timings',{}).get('total_s')} "
      f"wall_s={float(sys.argv[4])-float(sys.argv[3]):.2f} failing={fails[:3]}")
PY
}
run reference "$ex/reference/solution.py"
run reference_uid65534 "$ex/reference/solution.py" --drop-privileges
run wrong_moves_to_cpu "$ex/variants/wrong/moves_to_cpu.py" --drop-privileges
run right_cumsum "$ex/variants/right/cumsum_gather.py" --drop-privileges
run gpu_memory_hog /tmp/gpu_hog.py --drop-privileges

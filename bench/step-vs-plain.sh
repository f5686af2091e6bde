#!/usr/bin/env bash
# Our training step vs the plain TorchSharp step (../shared/bench/plain-torchsharp-step), side by
# side on the same machine, rounds interleaved so background load hits both alike.
# Usage: bench/step-vs-plain.sh [LAYERS DMODEL HEADS CTX BATCH [STEPS [ROUNDS]]]   (default: GPT-1 at 1×512)
# Prints one JSON line: both medians (tokens/s) and ratio = ours / plain (≥ 1.0: ours is not slower).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
layers=${1:-12} dmodel=${2:-768} heads=${3:-12} ctx=${4:-512} batch=${5:-1} steps=${6:-4} rounds=${7:-3}
peer=${PLAIN_STEP_DIR:-$root/../shared/bench/plain-torchsharp-step}
[[ -x $peer/run.sh || -f $peer/run.sh ]] || { echo "peer baseline not found at $peer (set PLAIN_STEP_DIR)" >&2; exit 2; }
dotnet build "$root/Coordinator" -c Release -nologo -v q >/dev/null
gpt1="$root/Coordinator/bin/Release/net10.0/gpt1"
config=$(mktemp --suffix=.json); trap 'rm -f "$config"' EXIT
# The peer has no dropout; compare the same computation (dropout 0) and report the paper's 0.1 too.
printf '{"n_layer":%s,"n_embd":%s,"n_head":%s,"n_positions":%s,"vocab_size":40478}' "$layers" "$dmodel" "$heads" "$ctx" > "$config"
ours=() plain=() paper=()
for ((r = 0; r < rounds; r++)); do
  plain+=("$(bash "$peer/run.sh" "$layers" "$dmodel" "$heads" "$ctx" "$batch" "$steps" | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])')")
  ours+=("$("$gpt1" bench step --config "$config" --batch "$batch" --ctx "$ctx" --steps "$steps" --dropout 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])')")
  paper+=("$("$gpt1" bench step --config "$config" --batch "$batch" --ctx "$ctx" --steps "$steps" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["tokens_per_second"])')")
done
python3 - "${plain[*]}" "${ours[*]}" "${paper[*]}" "$layers/$dmodel/$heads ctx $ctx batch $batch" <<'PY'
import json, statistics, sys
plain, ours, paper = (list(map(float, a.split())) for a in sys.argv[1:4])
p, o, d = statistics.median(plain), statistics.median(ours), statistics.median(paper)
print(json.dumps({"bench": "step-vs-plain", "config": sys.argv[4], "rounds": len(plain),
                  "plain_tokens_per_s": plain, "ours_tokens_per_s": ours, "ours_dropout_0.1_tokens_per_s": paper,
                  "ratio": round(o / p, 3), "ratio_with_paper_dropout": round(d / p, 3)}))
PY

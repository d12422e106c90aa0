#!/bin/bash
# Time to the tracking bar of a legged run (policies/quadruped.md, docs/your-robot.md): evaluates
# a run's kept checkpoints at held forward commands of 0.5, 0.75 and 1.0 m/s, EPISODES episodes
# each under the trained randomization (seed 5), and prints a markdown row per checkpoint:
#   scripts/checkpoint-bar.sh RUN_DIR EPISODES [ITERATION ...]
# With no ITERATION, every checkpoint in RUN_DIR/checkpoints is evaluated, oldest first. A row
# meets the bar when every mean forward speed is within 0.1 m/s of its command and nothing fell.
# Training time is the run's wall_time_s at that iteration (metrics.jsonl). Keep checkpoints for
# this with `--set checkpoint_every=50 --set keep_checkpoints=100` on `sim2real train`.
set -euo pipefail
run=$1 episodes=$2
shift 2
s2r() { node "$(dirname "$0")/../bin/sim2real.js" "$@"; }
if (($# == 0)); then
  set -- $(ls "$run/checkpoints" | sed -n 's/^ckpt_0*\([0-9][0-9]*\)\.bin$/\1/p' | sort -n)
fi
env=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).env)' "$run/config.json")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| iteration | env steps | training time | mean vx at 0.5 / 0.75 / 1.0 m/s | falls (of $((3 * episodes))) | mean trunk height (of nominal) | bar |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for it in "$@"; do
  ckpt=$(printf 'ckpt_%06d.bin' "$it")
  [[ -f "$run/checkpoints/$ckpt" ]] || { echo "no checkpoint $run/checkpoints/$ckpt" >&2; exit 2; }
  # A run directory holding just this checkpoint, so that `eval --run` takes it as the latest.
  rm -rf "$tmp/run" && mkdir -p "$tmp/run/checkpoints"
  cp "$run/config.json" "$tmp/run/"
  [[ -d "$run/robot" ]] && cp -r "$run/robot" "$tmp/run/" # a --robot run's copy of its robot files
  ln -s "$(realpath "$run/checkpoints/$ckpt")" "$tmp/run/checkpoints/$ckpt"
  for vx in 0.5 0.75 1.0; do
    s2r eval --env "$env" --run "$tmp/run" --episodes "$episodes" --seed 5 --command vx=$vx --json 2>/dev/null >"$tmp/$vx.json"
  done
  node -e '
    const fs = require("fs");
    const [dir, run, it] = process.argv.slice(1);
    const evals = ["0.5", "0.75", "1.0"].map((v) => JSON.parse(fs.readFileSync(`${dir}/${v}.json`, "utf8")));
    const row = fs.readFileSync(`${run}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l)).find((r) => r.iteration === +it);
    const vx = evals.map((e) => e.tracking.commands.vx);
    const falls = evals.reduce((s, e) => s + e.tracking.terminated, 0);
    const h = evals.map((e) => e.base_height?.ratio ?? NaN);
    const ok = falls === 0 && vx.every((c) => Math.abs(c.mean_measured - c.command) <= 0.1);
    const min = row ? `${(row.wall_time_s / 60).toFixed(1)} min` : "–";
    const steps = row ? `${(row.env_steps / 1e6).toFixed(2)}M` : "–";
    console.log(`| ${it} | ${steps} | ${min} | ${vx.map((c) => c.mean_measured.toFixed(3)).join(" / ")} | ${falls} | ${(100 * h.reduce((a, b) => a + b, 0) / 3).toFixed(0)}% | ${ok ? "met" : "–"} |`);
  ' "$tmp" "$run" "$it"
done

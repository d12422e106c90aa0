#!/bin/bash
# Velocity tracking of a quadruped policy under shifted dynamics, as the model card's markdown
# table (policies/quadruped.md):
#   scripts/quadruped-eval.sh POLICY.onnx EPISODES "label|eval args" ...
# Extra eval args for every row (e.g. --robot robots/a1.json) go in S2R_EVAL_ARGS.
# Each condition is evaluated with the forward command held at 0.5, 0.75 and 1.0 m/s (lateral
# and yaw-rate commands at 0), seed 100, after 1 s of settling; "label|" alone is the task's
# trained randomization (pushes included), "--no-randomize" in the args gives nominal dynamics.
# Falls are split into those within the first second (getting up from legged_gym's random reset:
# joints at 0.5–1.5× the default pose, base velocity up to 0.5 m/s) and those later (walking).
set -euo pipefail
policy=$1 episodes=$2
shift 2
s2r() { node "$(dirname "$0")/../bin/sim2real.js" "$@"; }
row() {
  node -e '
    const j = JSON.parse(require("fs").readFileSync(0, "utf8")), t = j.tracking, vx = t.commands.vx, yaw = t.commands.yaw_rate;
    const f = (x) => (x === null ? "–" : x.toFixed(3));
    const early = j.lengths.filter((l) => l <= 50).length, later = j.lengths.filter((l) => l > 50 && l < 1000).length;
    const h = j.base_height ? `${(100 * j.base_height.ratio).toFixed(0)}%` : "–";
    console.log(`| ${process.argv[1]} | ${vx.command} | ${f(vx.mean_measured)} | ${f(vx.mean_measured - vx.command)} | ${f(vx.mean_abs_error)} | ${f(yaw.mean_abs_error)} | ${early} | ${later} | ${h} |`);
  ' "$1"
}
echo "| dynamics | vx command (m/s) | mean vx (m/s) | mean vx − command | mean \|vx error\| | mean \|yaw-rate error\| (rad/s) | fell getting up (≤ 1 s) | fell later | trunk height (of nominal) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for cond in "$@"; do
  label=${cond%%|*} args=${cond#*|}
  for vx in 0.5 0.75 1.0; do
    # shellcheck disable=SC2086
    s2r eval --env quadruped ${S2R_EVAL_ARGS:-} --policy "$policy" --episodes "$episodes" --seed 100 --command vx=$vx $args --json 2>/dev/null | row "$label"
  done
done

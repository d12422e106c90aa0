#!/bin/bash
# Evaluates a policy trained with domain randomization against one trained without, under the
# same dynamics, and prints the model card's markdown table (policies/<task>.md).
#   scripts/policy-eval.sh TASK DR.onnx NODR.onnx EPISODES "label|shift args" ...
# Each condition is evaluated at nominal dynamics plus its shifts (--no-randomize --shift k=v …),
# so both policies meet exactly the same robots (same seed, same episodes).
set -euo pipefail
task=$1 dr=$2 nodr=$3 episodes=$4
shift 4
s2r() { node "$(dirname "$0")/../bin/sim2real.js" "$@"; }
ret() { node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(`${j.mean_return.toFixed(1)} ± ${j.std_return.toFixed(1)}`)'; }
echo "| dynamics | with DR (\`$(basename "$dr")\`) | without DR |"
echo "| --- | --- | --- |"
for cond in "$@"; do
  label=${cond%%|*} args=${cond#*|}
  # shellcheck disable=SC2086
  a=$(s2r eval --env "$task" --policy "$dr" --episodes "$episodes" --seed 100 --no-randomize $args --json 2>/dev/null | ret)
  # shellcheck disable=SC2086
  b=$(s2r eval --env "$task" --policy "$nodr" --episodes "$episodes" --seed 100 --no-randomize $args --json 2>/dev/null | ret)
  echo "| $label | $a | $b |"
done

#!/usr/bin/env bash
# Regenerates the committed explorer pages byte for byte (no timestamps in them): run from the repository root.
set -euo pipefail
optviz=${OPTVIZ:-.venv/bin/optviz}
$optviz explore --fn ravine --opt momentum --lr 0.01..1 --num 40 --momentum 0..0.95 --num 20 \
    --steps 100 --size 960x540 --out explorer/momentum-ravine.html
$optviz explore --fn rosenbrock --opt adam --lr 1e-3..0.5 --num 24 --beta1 0..0.99 --num 12 \
    --steps 200 --size 960x540 --out explorer/adam-rosenbrock.html

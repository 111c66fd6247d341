"""English: every word optviz writes itself (the list of built-in words, and the fallback)."""

WORDS: dict[str, str] = {
    # axes and panels
    "step": "step",
    "loss": "loss",
    "lr": "lr",
    "learning rate": "learning rate",
    "step size": "step size",
    "momentum": "momentum",
    "momentum β": "momentum β",
    "stable": "stable",
    # the step counter of an animation, before "k / K"
    "counter": "step",
    # legend
    "start": "start",
    "global minimum": "global minimum",
    "local minimum": "local minimum",
    "saddle point": "saddle point",
    "final loss {v}": "final loss {v}",
    "loss {v}": "loss {v}",
    "diverged at step {k}": "diverged at step {k}",
    "run {i}": "run {i}",
    "{n} more runs": "… {n} more runs",
    "{n} more run": "… {n} more run",
    "from ({point})": "from ({point})",
    "constant lr": "constant lr",
    "noise {v}": "noise {v}",
    "no noise": "no noise",
    "batch {v}": "batch {v}",
    "full batch": "full batch",
    "clip norm {v}": "clip norm {v}",
    "no clip norm": "no clip norm",
    "clip value {v}": "clip value {v}",
    "no clip value": "no clip value",
    "seed {v}": "seed {v}",
    "{v} steps": "{v} steps",
    "leaves the window": "leaves the window",
    "comes back": "comes back",
    "ends outside the window": "ends outside the window",
    "beyond the window": "beyond the window",
    "global minimum (found)": "global minimum (found)",
    "local minimum (found)": "local minimum (found)",
    "local minimum reached": "local minimum reached",
    "loss 0 at the floor": "loss 0, drawn at the log panel's floor",
    # the data panel (optviz/render/data_panel.py)
    "{x} (raw readings)": "{x} (raw readings)",
    "dashed: start · solid: end": "dashed: start · solid: end",
    # arrows and state panels
    "update": "update",
    "−momentum": "−momentum",
    "arrows ×{scale}": "arrows ×{scale}",
    "x₁ solid": "x₁ solid",
    "x₂ dashed": "x₂ dashed",
    "bold: buffer, faint: raw g": "bold: buffer, faint: raw g",
    # stability map
    "rule:gd": "Gradient descent",
    "rule:momentum": "Heavy-ball momentum",
    "rule:nesterov": "Nesterov momentum",
    "{rule} on {fn} ({formula}): {what}": "{rule} on {fn} ({formula}): {what}",
    "convergence rate ρ": "convergence rate ρ",
    "{measure} after {steps} steps": "{measure} after {steps} steps",
    "steps until {measure} ≤ {to}": "steps until {measure} ≤ {to}",
    "loss − f*": "loss − f*",
    "ρ: error × ρ per step": "ρ: error × ρ per step",
    "monotone | oscillating": "monotone | oscillating",
    "ρ = 1: the edge of divergence": "ρ = 1: the edge of divergence",
    "theory: ρ = 1, the edge of divergence": "theory: ρ = 1, the edge of divergence",
    "ρ: the slowest direction's": "ρ: the slowest direction's",
    "|1 − lr·h|: curvature h": "|1 − lr·{h}|: curvature {h}",
    "diverged: overflowed or ended above the start": "diverged: overflowed or ended above the start",
    "2/L = {limit}: plain GD's limit ({curvature})": "2/L = {limit}: plain GD's limit ({curvature})",
    "fastest: lr {lr}": "fastest: lr {lr}",
    " →\u00a0diverges": " →\u00a0diverges",
    "regime:monotone": "monotone",
    "regime:oscillating": "oscillating",
    "regime:diverging": "diverging",
    "diverged": "diverged",
    # basins
    "Basins of attraction on {fn}: which minimum each start reaches in {steps} steps": (
        "Basins of attraction on {fn}: which minimum each start reaches in {steps} steps"
    ),
    "the curve of minima": "the curve of minima",
    "kind:local": "local",
    "kind:saddle": "saddle",
    "not converged": "not converged",
    "basin note light": "paler: more steps (palest {slowest}); reached: within {tol} at the end",
    "basin note dark": "darker: more steps (darkest {slowest}); reached: within {tol} at the end",
    "reaches": "reaches",
    # lr scan
    "One learning rate does not fit all optimizers: {what} on {fn}": (
        "One learning rate does not fit all optimizers: {what} on {fn}"
    ),
    "best lr {lr}": "best lr {lr}",
    "at the start": "at the start",
    "not reached in {steps} steps": "not reached in\n{steps} steps",
    "diverged (top edge)": "diverged (top edge)",
    "best lr": "best lr",
    "stable range: did not diverge": "stable range: did\nnot diverge",
    "no stable lr": "no stable lr",
    "up to {lr}": "up to {lr}",
    # the terminal
    "{fn}: {n} runs": "{fn}: {n} runs",
    "{fn}: {n} run": "{fn}: {n} run",
    "col:optimizer": "optimizer",
    "col:lr": "lr",
    "col:final point": "final point",
    "col:loss": "loss",
    "col:to min": "to min",
    "col:steps": "steps",
    "col:diverged": "diverged",
    "step {k}": "step {k}",
    "diverged at step {k}; try a smaller --lr or --clip-norm": (
        "diverged at step {k}; try a smaller --lr or --clip-norm"
    ),
    "warning:": "warning:",
    "wrote": "wrote",
    # sweep, gallery and deck in the terminal (optviz/cli/batch.py, optviz/cli/deck.py)
    "rendering": "rendering",
    "dry run: {n} files would be made": "dry run: {n} files would be made",
    "dry run: {n} file would be made": "dry run: {n} file would be made",
    "{n} of {total} files": "{n} of {total} files",
    "{n} of {total} file": "{n} of {total} file",
    "col:output": "output",
    "col:function": "function",
    "col:runs": "runs",
    "col:run": "run",
    "col:final loss": "final loss",
    "failed": "failed",
    "failed:": "failed:",
    "interrupted:": "interrupted:",
    "kept the {n} finished file(s); no partial file was left": (
        "kept the {n} finished file(s); no partial file was left"
    ),
    "{n} of {total} failed": "{n} of {total} failed",
    "note: --jobs {jobs} is more than the {cpus} CPUs here; rendering {cpus} at a time": (
        "note: --jobs {jobs} is more than the {cpus} CPUs here; rendering {cpus} at a time"
    ),
    "({size} MB of pictures)": "({size} MB of pictures)",
    "interrupted": "interrupted",
    "the deck was not written; finished figures were kept": "the deck was not written; finished figures were kept",
    "deck:wrote": (
        "wrote {path} ({slides} slides): {made} figures rendered and {kept} kept in {folder}, "
        "{reused} reused from {gallery}"
    ),
    # the gallery's README (optviz/gallery.py)
    "gallery:heading": "# optviz gallery",
    "gallery:intro": (
        "The lessons of the deep-learning optimization chapter, one config each in [`{configs}/`]({link}). "
        "Every picture was made by the command under it, run from the folder that holds `{gallery}/`; "
        "`{command}` remakes them all."
    ),
    "gallery:not rendered": "{name} is not rendered yet: `{command}`",
    # the deck's slides and its figure folder (optviz/deck.py)
    "deck:title": "Optimization, one lesson a slide",
    "deck:subtitle": "{count} figures from {configs}, drawn by optviz {version}",
    "deck:made by": "Made by",
    "deck:folder heading": "# Figures of {deck}",
    "deck:folder text": "Rendered by `optviz deck`, which reuses them while they are current and remakes the others.",
    # optviz list (optviz/cli/catalog.py)
    "list:functions": "functions: 'ravine(angle=30)' sets a parameter; optviz show NAME tells more",
    "list:optimizers": "optimizers (hyperparameters as in torch.optim: 'adam(lr=0.1, amsgrad=true)')",
    "list:schedules": "schedules (update k uses the lr torch's scheduler gives after k steps; chain: warmup(steps=5)+cosine)",
    "col:name": "name",
    "col:formula": "formula",
    "col:what it shows": "what it shows",
    "col:default lr": "default lr",
    "col:options (defaults)": "options (defaults)",
    "col:what it does": "what it does",
    "col:parameters (defaults); example": "parameters (defaults); example",
    # the views' summary lines (optviz/views/summary.py)
    "{rule}: {n} of {total} cells diverged": "{rule}: {n} of {total} cells diverged",
    "fastest {rule}: lr {lr}, rate": "fastest {rule}: lr {lr}, rate",
    "fastest {rule}: lr {lr}, momentum {beta}, rate": "fastest {rule}: lr {lr}, momentum {beta}, rate",
    "2/L, plain GD's largest stable lr (curvatures {hs})": "2/L, plain GD's largest stable lr (curvatures {hs})",
    "{mark}: {regime}, rate": "{mark}: {regime}, rate",
    "{label}: {reached}% reached a minimum, {diverged}% diverged; median steps": (
        "{label}: {reached}% reached a minimum, {diverged}% diverged; median steps"
    ),
    "steps to {measure} ≤ {to}": "steps to {measure} ≤ {to}",
    "final {measure}": "final {measure}",
    "{label}: no lr converged": "{label}: no lr converged",
    "{label}: best lr {lr}; {what}": "{label}: best lr {lr}; {what}",
    "{label}: best lr {lr}, stable up to {hi}; {what}": "{label}: best lr {lr}, stable up to {hi}; {what}",
    "{label}: best lr {lr}, stable {lo}..{hi}; {what}": "{label}: best lr {lr}, stable {lo}..{hi}; {what}",
}

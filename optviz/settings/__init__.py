"""The two records every entry point builds: :class:`RunSettings` (what a run is) and
:class:`DrawSettings` (how it is drawn).

Each field carries its default, its help text, its command-line flags, the YAML type of sweeps
and its check, once. The API builds the records from keyword arguments, the CLI from options
generated from these fields, sweeps from YAML keys of the same names; all three therefore give the
same errors from the same code. A check turns a raw value into the checked one (a spec string into
the parsed function or optimizer, ``"16:9"`` into pixels) and may read the fields checked before
it, so fields are declared in the order of their dependencies.

A new option is one new field here plus the one place that uses it.

Examples:
    >>> run = RunSettings(fn="ravine(angle=30)", opt="sgd(momentum=0.5)", lr=0.6, steps=20)
    >>> run.fn.spec, run.opt.entry.name, run.opt.options, run.label
    ('ravine(angle=30)', 'sgd', {'momentum': 0.5}, 'sgd(momentum=0.5), lr=0.6')
    >>> RunSettings(steps=0)
    Traceback (most recent call last):
    ...
    optviz.errors.HyperparameterError: steps=0 must be a whole number from 1 to 1000000, e.g. --steps 50
"""

from optviz.settings.draw import (
    PANELS,
    SIZES,
    STATE_PANELS,
    VIEWS,
    DrawSettings,
    default_dpi,
    needs_state,
    parse_panels,
    parse_size,
)
from optviz.settings.record import Setting, settings_of
from optviz.settings.run import (
    MAX_START,
    MAX_STEPS,
    OptimizerSpec,
    RunSettings,
    check_lr,
    check_starts,
    check_steps,
    check_targets,
    hyper_for,
)

__all__ = [
    "MAX_START",
    "MAX_STEPS",
    "PANELS",
    "SIZES",
    "STATE_PANELS",
    "VIEWS",
    "DrawSettings",
    "OptimizerSpec",
    "RunSettings",
    "Setting",
    "check_lr",
    "check_starts",
    "check_steps",
    "check_targets",
    "default_dpi",
    "hyper_for",
    "needs_state",
    "parse_panels",
    "parse_size",
    "settings_of",
]

"""``optviz explore``: a grid of hyperparameters run in one batch, written as one interactive page.

Ranges are ``LO..HI`` (the views' syntax); each ``--num`` counts the values of the range written
just before it, and a single ``--num`` counts every range: ``--lr 0.01..1 --num 40 --momentum
0..0.95 --num 20`` is 40 × 20 runs. The learning rate is spaced evenly on a log scale, the others
linearly.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from optviz.cli.app import Command, app, console, plain, user_errors

__all__ = ["explore_command"]

#: the hyperparameters with an option of their own (any other: -p NAME=VALUE, fixed)
SWEPT = ("lr", "momentum", "beta1", "beta2", "alpha", "weight_decay", "dampening", "eps")
_HELP = {
    "lr": "Learning rate: a value, or a range LO..HI spaced evenly on a log scale.",
    "beta1": "Adam-type betas[0]: a value, or a range LO..HI.",
    "beta2": "Adam-type betas[1]: a value, or a range LO..HI.",
}
_SWEEP = "Swept hyperparameters (LO..HI ranges, or one value)"
_PAGE = "The page"


class _OrderedCommand(Command):
    """Keeps the order the options were written in (``ctx.meta["optviz.order"]``), which pairs each
    ``--num`` with the range before it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        given = list(args)
        rest = super().parse_args(ctx, args)
        if not ctx.resilient_parsing:
            _, _, order = self.make_parser(ctx).parse_args(args=given)
            ctx.meta["optviz.order"] = [param.name for param in order]
        return rest


def _parameters() -> list[inspect.Parameter]:
    from optviz.cli.run import _record_parameters
    from optviz.settings import DrawSettings

    def option(name: str, annotation: Any, default: Any, *flags: str, help: str, panel: str | None = None) -> Any:
        flags = flags or (f"--{name.replace('_', '-')}",)
        opt = typer.Option(*flags, help=help, rich_help_panel=panel)
        return inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[annotation, opt]
        )

    params = [
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
        option("fn", str, "ravine", "--fn", "-f", help="Function spec, e.g. ravine or 'rosenbrock'."),
        option("opt", list[str] | None, None, "--opt", "-o", help="Optimizer spec (repeatable: a legend entry each)."),
        option("steps", int, 100, "--steps", "-n", help="Updates per run (pages keep at most 200 steps per run)."),
        option("start", str | None, None, help="Start point, e.g. --start=-5,-2 (default: the function's)."),
        option("schedule", str | None, None, help="Learning-rate schedule, e.g. cosine."),
        option(
            "param", list[str] | None, None, "--param", "-p", help="A fixed hyperparameter NAME=VALUE (repeatable)."
        ),
    ]
    for name in SWEPT:
        text = _HELP.get(name, f"{name}: a value, or a range LO..HI spaced linearly.")
        params.append(option(name, str | None, None, help=text, panel=_SWEEP))
    params.append(
        option(
            "num",
            list[int] | None,
            None,
            help="Values of the range before it (20); once: of every range.",
            panel=_SWEEP,
        )
    )
    params.append(option("out", Path, ..., help="The page to write: a .html file.", panel=_PAGE))
    skip = {"view", "frames", "fps", "hold", "show", "finals"}  # the page has its own pace and no arrows
    params += [p for p in _record_parameters(DrawSettings) if p.name not in skip]
    return params


def _signature(command: Any) -> Any:
    command.__signature__ = inspect.Signature(_parameters())
    return command


def _counts(order: list[str], ranges: list[str], nums: list[int]) -> int | list[int]:
    """The count of each range: 20 without --num, the one --num for all, or the --num written
    after each range (in the order of ``ranges``)."""
    from optviz.errors import HyperparameterError

    if len(nums) <= 1:
        return nums[0] if nums else 20
    counts: dict[str, int] = {}
    last = None
    for name in order:
        if name in ranges:
            last = name
        elif name == "num":
            if last is None or last in counts:
                raise HyperparameterError(
                    "--num counts the range written just before it: "
                    "write --lr 0.01..1 --num 40 --momentum 0..0.9 --num 20"
                )
            counts[last] = nums[len(counts)]
    missing = [r for r in ranges if r not in counts]
    if missing:
        raise HyperparameterError(f"--{missing[0].replace('_', '-')} has no --num after it; give one after each range")
    return [counts[r] for r in ranges]


def _values(text: str | None) -> str | None:
    return None if text is None else text.strip()


@app.command("explore", cls=_OrderedCommand)
@_signature
def explore_command(**options: Any) -> None:
    """Run every combination of the swept hyperparameters in one batch and write one interactive page: a step slider, a slider per swept hyperparameter, paths and panels from the precomputed runs.

    The page is one self-contained .html file (no network): it opens from a disk or a notebook. The learning rate is spaced on a log scale, the others linearly; each --num counts the range before it.

    [bold]Examples[/]

      optviz explore --opt momentum --lr 0.01..1 --num 40 \\
        --momentum 0..0.95 --num 20 --out momentum.html
      optviz explore --fn rosenbrock --opt adam --lr 1e-3..0.5 --num 30 \\
        --beta1 0..0.99 --num 20 --steps 200 --out adam.html
    """
    with user_errors():
        from optviz.cli.run import _parse_hyper
        from optviz.explorer import explore
        from optviz.i18n import tr

        ctx = options.pop("ctx")
        order = [name for name in ctx.meta.get("optviz.order", []) if name in (*SWEPT, "num")]
        out, nums = options.pop("out"), options.pop("num") or []
        hyper = _parse_hyper(options.pop("param") or [])
        written = [name for name in dict.fromkeys(order) if name in SWEPT]  # in the order written
        for name in written + [n for n in SWEPT if n not in written]:
            value = _values(options.pop(name))
            if value is not None:
                hyper[name] = value
        ranges = [name for name, value in hyper.items() if isinstance(value, str) and ".." in value]
        num = _counts(order, ranges, nums)
        from optviz.output import check_output

        check_output(out, (".html",), "--out")
        draw = {k: v for k, v in options.items() if k not in ("fn", "opt", "steps", "start", "schedule")}
        run = {"schedule": options["schedule"]} if options["schedule"] else {}
        page = explore(
            options["fn"],
            options["opt"] or ["momentum"],
            num=num,
            steps=options["steps"],
            start=options["start"],
            **run,
            **hyper,
            **draw,
        )
        path = page.save(out)
        size = path.stat().st_size
        console.print(
            tr("wrote", draw.get("lang") or "en"),
            plain(path),
            f"({len(page)} runs, {size / 1e6:.1f} MB)",
            highlight=False,
            soft_wrap=True,
        )

"""``optviz run``: options generated from the settings records, a summary table, exports, pictures."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from optviz.cli.app import app, console, err_console, fmt, imports_first, plain, slug, user_errors

__all__ = ["run_command", "run_table"]

_PICTURES = "Pictures and animations (with --out)"


def _parse_hyper(assignments: list[str]) -> dict[str, Any]:
    from optviz.errors import SpecError
    from optviz.spec import parse_assignment

    hyper: dict[str, Any] = {}
    for text in assignments:
        key, value = parse_assignment(text)
        if key in hyper:
            raise SpecError(f"-p {key} is given twice; give each hyperparameter once")
        hyper[key] = value
    return hyper


def run_table(batch: Any, fn: Any, lang: str = "en") -> Table:
    """The summary table of a batch of runs, its headers in ``lang``."""
    from rich import box

    from optviz.i18n import tr

    table = Table(
        title=plain(
            tr("{fn}: {n} runs" if len(batch) != 1 else "{fn}: {n} run", lang, fn=fn.spec, n=len(batch)),
            style="table.title",
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),  # with the box's blank divider: two spaces between columns
        pad_edge=False,
    )
    for column, justify in [
        ("optimizer", "left"),
        ("lr", "right"),
        ("final point", "right"),
        ("loss", "right"),
        ("to min", "right"),
        ("steps", "right"),
        ("diverged", "right"),
    ]:
        # numbers and points stay on one line (coordinates take at most 9 characters, so a 2-D run
        # fits 80 columns); in a narrow terminal the spec wraps instead
        table.add_column(
            tr(f"col:{column}", lang),
            justify=justify,  # type: ignore[arg-type]
            no_wrap=column != "optimizer",
            overflow="fold" if column == "optimizer" else "ellipsis",  # a long spec folds, never cut
            min_width=9 if column == "optimizer" else None,
        )
    for traj in batch:
        point = ", ".join(coordinate(v) for v in traj.final)
        distance = float(fn.nearest_minimum_distance(traj.final)) if len(traj.points) else float("nan")
        diverged = f"[red]{tr('step {k}', lang, k=traj.diverged_at)}[/]" if traj.diverged else "—"
        table.add_row(
            plain(traj.settings["opt"]),
            f"{traj.settings['lr']:g}",
            f"({point})",
            fmt(traj.final_loss if len(traj.loss) else float("nan")),
            fmt(distance),
            str(traj.steps),
            diverged,
        )
    return table


def coordinate(value: float) -> str:
    """A coordinate in at most 9 characters: 6 decimals below 10 (``2.940755``), fewer as it grows
    (``123.4568``), then 3 significant digits (``-1.23e+16``); never ``-0.000000``."""
    value = float(value)
    size = abs(value)
    if size != size or size == float("inf"):
        return str(value)
    text = f"{value:.{6 - max(0, len(str(int(size))) - 1)}f}" if size < 1e4 else ""
    if not text or len(text.lstrip("-")) > 8:  # 1e4 or more, also once rounded (9999.9999)
        text = f"{value:.2e}"
        if len(text.lstrip("-")) > 8:  # a three-digit exponent
            text = f"{value:.1e}"
    return text.lstrip("-") if float(text) == 0 else text


def _record_parameters(*records: type) -> list[inspect.Parameter]:
    """Command-line options generated from the records' fields: flags, help, type and default
    come from each field's :class:`~optviz.settings.Setting`, so a new field is a new option."""
    from optviz.settings import settings_of

    params = []
    for record in records:
        for name, (default, meta) in settings_of(record).items():
            if not meta.cli:
                continue
            flags = meta.flags or (f"--{name.replace('_', '-')}",)
            if meta.cli_type is bool:  # --finals / --no-finals
                flags = tuple(f"{flag}/--no-{flag.removeprefix('--')}" for flag in flags)
            option = typer.Option(*flags, help=meta.help, rich_help_panel=meta.panel)
            if meta.many:
                annotation, default = list[meta.cli_type] | None, None
            elif isinstance(default, tuple):  # e.g. panels: typed as a comma list
                annotation, default = meta.cli_type, ",".join(default)
            else:
                annotation = meta.cli_type | None if default is None else meta.cli_type
            params.append(
                inspect.Parameter(
                    name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[annotation, option]
                )
            )
    return params


def _with_parameters(*params: inspect.Parameter):
    """Give a ``**options`` command the signature typer reads its options from."""

    def decorate(command):
        command.__signature__ = inspect.Signature(list(params))
        return command

    return decorate


_OUTPUT_PARAMETERS = [
    inspect.Parameter(
        "export",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            Path | None, typer.Option("--export", help="Save the trajectory as .csv, .json or .npz (one file per run).")
        ],
    ),
    inspect.Parameter(
        "out",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Draw the runs: .png, .svg, .pdf (picture) or .gif, .mp4 (animation).",
                rich_help_panel=_PICTURES,
            ),
        ],
    ),
]


def _run_parameters() -> list[inspect.Parameter]:
    from optviz.settings import DrawSettings, RunSettings

    run_params = _record_parameters(RunSettings)
    return [*run_params, _OUTPUT_PARAMETERS[0], _OUTPUT_PARAMETERS[1], *_record_parameters(DrawSettings)]


@app.command("run")
@_with_parameters(*_run_parameters())
def run_command(**options: Any) -> None:
    """Run optimizers on a function, print where they end up, and draw them with --out.

    [bold]Examples[/]

      optviz run --fn ravine --opt adam --lr 0.16
      optviz run --fn ravine --opt gd --lr 0.4 --lr 0.6 --steps 20
      optviz run --fn rosenbrock --opt adam --lr 1e-3 --steps 2000 --start=-1.5,2
      optviz run --fn thermometer --opt gd --lr 1e-2 --steps 5000 --export fit.csv
      optviz run --fn ravine --opt adam -p betas=0.8,0.99 --schedule cosine
      optviz run --fn ravine --opt gd --opt momentum --lr 0.4 --out ravine.gif
      optviz run --opt adam --lr 0.1 --out ravine.png --view surface --theme dark
    """
    with user_errors():
        with imports_first():
            from optviz import api
            from optviz.functions import get as get_function
            from optviz.i18n import check_lang, tr
            from optviz.output import check_output
            from optviz.settings import DrawSettings, settings_of
            from optviz.trajectory import EXPORT_SUFFIXES

        export, out = options.pop("export"), options.pop("out")
        draw = {name: options.pop(name) for name in settings_of(DrawSettings)}
        if export is not None:  # before running, so a typo costs nothing
            check_output(export, EXPORT_SUFFIXES, "export")
            if len(options["opt"] or ["gd"]) * len(options["lr"] or [None]) > 1:
                _check_export_room(export)
        function = get_function(options["fn"])
        record_state = False
        if out is not None:
            from optviz import render

            _, drawing = render.check_target(out, function, **draw)
            record_state = drawing.needs_state
            if options.get("record_every", 1) > 1 and out.suffix.lower() in render.ANIMATED_SUFFIXES:
                from optviz.errors import SpecError

                raise SpecError(
                    "--record-every keeps some steps only, and an animation shows every step: "
                    "drop --record-every, or draw a picture (.png, .svg, .pdf)"
                )
        hyper = _parse_hyper(options.pop("hyper") or [])
        batch = api.run_batch(
            function,
            options.pop("opt") or ["gd"],
            options.pop("lr") or None,
            options.pop("steps"),
            _starts(options.pop("start")),
            **({"record_state": True} if record_state else {}),  # a state panel draws the optimizer's state
            **{name: value for name, value in options.items() if name != "fn"},
            **hyper,
        )
        lang = check_lang(draw.get("lang"))
        console.print(run_table(batch, function, lang))
        for traj in batch:
            if traj.diverged:
                err_console.print(
                    f"[yellow]{tr('warning:', lang)}[/]",
                    plain(traj.label),
                    tr("diverged at step {k}; try a smaller --lr or --clip-norm", lang, k=traj.diverged_at),
                    highlight=False,
                )
        if export is not None:
            for path in _export(batch, export):
                console.print(tr("wrote", lang), plain(path))
        if out is not None:
            with imports_first():  # once the runs went well: a mistake costs no matplotlib import
                render.import_drawing(out)
            console.print(tr("wrote", lang), plain(render.render(batch, function, out, drawing)))


def _starts(starts: list[str] | None) -> Any:
    """``--start`` given once is one point; given again, each is a run of its own."""
    return starts[0] if starts and len(starts) == 1 else starts


#: the most characters of a run's label in its export file name
_LABEL_CHARS = 60


def _export_path(export: Path, index: int, label: str) -> Path:
    """One run's file of a several-run export: ``fit-0-adam_lr=0.1.csv``."""
    return export.with_name(f"{export.stem}-{index}-{slug(label)[:_LABEL_CHARS]}{export.suffix}")


def _check_export_room(export: Path) -> None:
    """Several runs export one file each, named ``STEM-I-LABEL``: the name must leave room for that."""
    from optviz.errors import OutputError
    from optviz.output import NAME_MAX

    longest = len(_export_path(export, 999, "x" * _LABEL_CHARS).name.encode())
    if longest > NAME_MAX:
        raise OutputError(
            f"--export: with several runs each file adds '-N-LABEL' (up to {_LABEL_CHARS + 5} characters) to the name, "
            f"which would pass the {NAME_MAX}-byte limit; choose a shorter name"
        )


def _export(batch: Any, export: Path) -> list[Path]:
    if len(batch) == 1:
        return [batch[0].save(export)]
    return [traj.save(_export_path(export, i, traj.label)) for i, traj in enumerate(batch)]

"""The typer application every ``grade`` command is declared on, and how a run of it ends.

``App`` is a ``typer.Typer`` that builds only the command being run: typer turns every declared
command into a click command before it parses anything, which costs more than ``grade submit``
can spare (~1 ms a command). It ends every command the same way: a ``GraderError`` is one line
``error: …`` and its exit code, a closed pipe (``grade submit x.py | head -1``) ends the program
quietly as the signal would have, and ``-h`` is ``--help``.

``out`` and ``err`` are rich consoles made on first use: rich is imported by the commands that
draw tables and progress bars, never by ``grade submit``, which prints plain ANSI.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

import typer
from typer.core import TyperCommand, TyperGroup

try:  # typer's own value coercion (recent releases), used by _coerce_without_pydantic
    from typer import _coercion
    from typer._param_types import coerce_cli_path
except ImportError:  # an older typer (click's types, no pydantic): nothing to replace
    _coercion = None

from grader.cli.ending import pipe_closed, quiet_on_closed_pipe
from grader.errors import GraderError

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


class LazyConsole:
    """A ``rich.console.Console`` created on first use, with these options."""

    def __init__(self, **options) -> None:
        self._options = options
        self._console = None

    @property
    def real(self):
        if self._console is None:
            from rich.console import Console

            class Quiet(Console):
                def on_broken_pipe(self) -> None:  # rich would exit 1; end as every command does
                    pipe_closed()

            self._console = Quiet(**self._options)
        return self._console

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def __enter__(self):  # rich's Live writes `with console:`, looked up on the type, not forwarded
        return self.real.__enter__()

    def __exit__(self, *exc):
        return self.real.__exit__(*exc)


out = LazyConsole(highlight=False, soft_wrap=True)
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)  # a command in a message stays on one line


class Tidy:
    """Help without typer's bare type names: a flag shows no ``<bool>``, a plain string shows its
    metavar or its name (``--scheduler SCHEDULER``), not ``<str>``."""

    def tidy(self) -> None:
        for param in self.params:
            _coerce_without_pydantic(param)
            if param.metavar is None and getattr(param, "is_flag", False):
                param.metavar = ""
            elif _named_by_its_name(param) and param.param_type_name == "option" and param.metavar is None:
                param.metavar = _option_word(param)  # --student STUDENT, --jobs JOBS: not <list[str]>, <int range>
            elif _plain_text(param) and param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: None  # its name says it: EXERCISE, QUIZ
            elif _listed(param) and param.param_type_name == "argument":
                param.display_type_rich = lambda ctx: None  # PATH..., not <list[Path]>

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
            _coerce_without_pydantic(option)
        return option


def _plain_text(param) -> bool:
    desc = getattr(param, "type_descriptor", None)
    return desc is not None and desc.annotation is str and not (desc.is_list or desc.is_choice)


def _option_word(param) -> str:
    """What to write after the option, from its long name: ``--scheduler`` → ``SCHEDULER``."""
    longest = max(param.opts, key=len)
    return longest.lstrip("-").replace("-", "_").upper() if longest.startswith("--") else param.name.upper()


def _listed(param) -> bool:
    desc = getattr(param, "type_descriptor", None)
    return desc is not None and desc.is_list and not desc.is_choice


def _named_by_its_name(param) -> bool:
    """Plain text, a list of it, or a whole number: the option's name in capitals says more than the type."""
    desc = getattr(param, "type_descriptor", None)
    if desc is None or desc.is_choice:
        return False
    leaf = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    return leaf in (str, int)


def _coerce_without_pydantic(param) -> None:
    """Strings, paths and flags coerced as typer does, without its pydantic ``TypeAdapter``.

    Recent typer releases convert every value through pydantic, which costs ~100 ms to import: more
    than a cached ``grade submit`` takes in all. Where typer has that machinery (``_runtime_param``)
    and the annotation is a plain ``str``, ``Path`` or ``bool`` (or a list of them) without a custom
    parser, the conversion is done here, through typer's own path checks; anything else, or a value
    of another shape, is left to typer.
    """
    desc = getattr(param, "type_descriptor", None)
    if _coercion is None or desc is None or not hasattr(param, "_runtime_param"):
        return
    info = desc.parameter_info
    if info.parser is not None or desc.is_choice or desc.is_file or desc.is_tuple:
        return
    leaf = get_args(desc.annotation)[0] if desc.is_list else desc.annotation
    if (leaf in (str, bool) and not desc.is_path) or (leaf is Path and info.path_type in (None, Path)):
        param._runtime_param = _Plain(parameter_info=info, annotation=desc.annotation)


if _coercion is not None:

    class _Plain(_coercion.RuntimeParam):
        def _coerce_value(self, value, param, ctx):
            many = isinstance(value, (list, tuple))
            leaf = get_args(self.annotation)[0] if many else self.annotation

            def one(item):
                if leaf is str and isinstance(item, str):
                    return item
                if leaf is Path and isinstance(item, (str, Path)):
                    return coerce_cli_path(Path(item), self.parameter_info, path_type=Path, param=param, ctx=ctx)
                if leaf is bool and isinstance(item, bool):
                    return item
                typer_way = _coercion.resolve_type_descriptor(leaf, self.parameter_info)  # e.g. "yes" for a flag
                return _coercion.build_runtime_param(typer_way)._coerce_value(item, param=param, ctx=ctx)

            return [one(item) for item in value] if many else one(value)


class Command(Tidy, TyperCommand):
    """A ``grade`` command."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tidy()


class Group(Tidy, TyperGroup):
    """The ``grade`` group: our errors and a closed pipe end a command here, inside typer's handling."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tidy()

    def invoke(self, ctx):
        try:
            return quiet_on_closed_pipe(super().invoke, ctx)
        except GraderError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None


class App(typer.Typer):
    """``typer.Typer`` with the settings of every ``grade`` command; declare commands with ``@app.command()``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("cls", Group)
        kwargs.setdefault("add_completion", False)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("pretty_exceptions_enable", False)
        kwargs.setdefault("context_settings", HELP_OPTIONS)
        super().__init__(**kwargs)

    def command(self, name: str | None = None, *, cls=None, **kwargs):
        return super().command(name, cls=cls or Command, **kwargs)

    def run(self, argv: Sequence[str], prog_name: str = "grade", obj: object = None) -> None:
        """Parse ``argv`` and run it; exits. Only the command named first is built (all of them for
        the group's own help, an unknown name or an option before the command)."""
        app = self
        named = [c for c in self.registered_commands if command_name(c) == (argv[0] if argv else None)]
        if named:
            app = copy.copy(self)
            app.registered_commands = named
        typer.main.get_command(app).main(args=list(argv), prog_name=prog_name, obj=obj)


def command_name(info) -> str:
    """The name a registered command is called by (typer's rule: the function's, with dashes)."""
    return info.name or typer.main.get_command_name(info.callback.__name__)

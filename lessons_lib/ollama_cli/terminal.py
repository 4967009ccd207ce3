"""The `ollama` command from a notebook cell: what a learner would type in a terminal, run for real.

- `terminal("ollama list", host)` runs the command (the real `ollama` where one is installed, otherwise
  the course's CLI) against `host` and prints what it prints, after a `$ ` line like a terminal.
- `chat_transcript(model, lines, host)` plays lines into `ollama run MODEL`'s interactive chat (the
  `>>>` prompt, slash commands, `\"\"\"` blocks) and returns the screen as the learner would see it. It
  runs the course's chat loop in-process against the real server; a cell cannot type into a terminal.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

import ollama

from .interactive import Chat, Session
from .launcher import real_ollama

if TYPE_CHECKING:
    from ..models import PullPlan

# Learner-facing lines (the Polish edition translates these).
MSG_COURSE_CLI = "(no Ollama installed here: this is the course's own `ollama` command)"
MSG_TIMEOUT = "(the command was stopped after {seconds:.0f} s)"


def command_line(command: str) -> list[str]:
    """argv for `command` ("ollama ..."): the real binary if installed, else this package's CLI."""
    words = shlex.split(command)
    if not words or words[0] != "ollama":
        raise ValueError(f"expected a command starting with `ollama`, got {command!r}")
    real = real_ollama()
    return [real, *words[1:]] if real else [sys.executable, "-m", "lessons_lib.ollama_cli", *words[1:]]


def terminal(command: str, host: str, timeout: float = 300, show_which: bool = False, shown: str | None = None) -> int:
    """Run `command` with OLLAMA_HOST=`host`, print its output like a terminal; return the exit status.

    `shown` is the command line printed after `$` when it differs from the one run (a pull from the
    course's local registry mirror runs `ollama pull --insecure 127.0.0.1:PORT/library/NAME` and shows
    `ollama pull NAME`, what a learner types at home)."""
    argv = command_line(command)
    print(f"$ {shown or command}")
    if show_which and argv[0] == sys.executable:
        print(MSG_COURSE_CLI)
    env = {**os.environ, "OLLAMA_HOST": host}
    try:
        done = subprocess.run(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        print(MSG_TIMEOUT.format(seconds=timeout))
        return 124
    text = done.stdout + done.stderr
    print(text.rstrip("\n"))
    return done.returncode


def pull_in_terminal(plan: PullPlan, host: str, timeout: float = 300) -> int:
    """`ollama pull` as `plan` says (from the registry, or the course's mirror), in a terminal whose
    screen shows what a learner types at home (`plan.command`)."""
    return terminal(plan.real_command, host, timeout=timeout, shown=plan.command)


def chat_transcript(model: str, lines: Iterable[str], host: str, *, options: dict | None = None) -> str:
    """The screen of `ollama run MODEL` after typing `lines` (end with "/bye")."""
    screen: list[str] = []
    typed = iter(lines)

    def read(prompt: str) -> str:
        try:
            line = next(typed)
        except StopIteration:
            raise EOFError from None
        screen.append(prompt + line + "\n")
        return line

    client = ollama.Client(host=host)
    session = Session(model=model, options=dict(options or {}))
    Chat(client, session, read=read, out=screen.append).loop()
    return "".join(screen)


__all__ = ["chat_transcript", "command_line", "pull_in_terminal", "terminal"]

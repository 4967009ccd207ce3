"""The course's `ollama` command, for terminals where Ollama is not installed.

It is a client, like Ollama's own CLI: every command is a request to the server at OLLAMA_HOST (the
course's embedded server, a sandbox pod, or a real Ollama) through the official `ollama` Python client,
printed in Ollama's formats with Ollama's error texts. `make lab` puts it on JupyterLab terminals' PATH
only when no real `ollama` is there (see `launcher`).

    python -m lessons_lib.ollama_cli list
    python -m lessons_lib.ollama_cli run smollm2:135m
"""

from __future__ import annotations

import signal
import sys

import ollama

from . import messages as M
from .commands import CLIENT_VERSION, COMMANDS, CliError

__all__ = ["CLIENT_VERSION", "main"]


def usage() -> str:
    return M.USAGE.format(commands="\n".join(f"  {name:<12}{short}" for name, short in M.COMMANDS))


def command_help(name: str) -> str:
    short = dict(M.COMMANDS).get(name, "")
    return M.COMMAND_HELP.format(short=short, usage=M.COMMAND_USAGE[name])


def main(argv: list[str] | None = None) -> int:
    # Ctrl+C stops an answer and, at the prompt, prints Ollama's hint. A process that a shell started
    # in the background inherits SIGINT as ignored, and Python then installs no KeyboardInterrupt.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0
    if args[0] in ("-v", "--version"):
        return _version()
    name, rest = args[0], args[1:]
    if name == "help":
        topic = rest[0] if rest else ""
        print(command_help(topic) if topic in M.COMMAND_USAGE else usage())
        return 0
    canonical = {"ls": "list", "start": "serve"}.get(name, name)
    if canonical not in M.COMMAND_USAGE:
        return _error(M.ERR_UNKNOWN_COMMAND.format(name=name))
    if "-h" in rest or "--help" in rest:
        print(command_help(canonical))
        return 0
    try:
        return COMMANDS[name](rest)
    except CliError as exc:
        return _error(str(exc))
    except ollama.ResponseError as exc:
        return _error(exc.error)
    except ConnectionError:  # the client's wording is Python's; the learner gets Ollama's
        return _error(M.ERR_NO_SERVER)
    except KeyboardInterrupt:
        return 130


def _version() -> int:
    from .commands import cmd_version

    return cmd_version([])


def _error(message: str) -> int:
    print(M.ERROR.format(message=message), file=sys.stderr, flush=True)
    return 1

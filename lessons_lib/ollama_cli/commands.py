"""The `ollama` subcommands, each a client of the server's REST API through the official `ollama`
Python client: the same requests Ollama's own CLI sends (github.com/ollama/ollama cmd/cmd.go).

Errors end the command with Ollama's wording, "Error: ..." on stderr and exit status 1.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, cast

import httpx
import ollama

from .. import models
from ..ollama_server.protocol import OLLAMA_VERSION
from . import messages as M
from .interactive import Chat, Session, read_line
from .render import PullProgress, show_info, stats, system_prompt

# The version this client reports: the Ollama release the embedded server follows (tests check both).
CLIENT_VERSION = OLLAMA_VERSION


class CliError(Exception):
    """A failure printed as Ollama prints it: `Error: <message>`."""


def client() -> ollama.Client:
    """The client `ollama` uses: OLLAMA_HOST, read by the Python client as Ollama reads it."""
    return ollama.Client()


# --- list, ps, show, cp, rm, stop ----------------------------------------------------------------
def cmd_list(args: list[str]) -> int:
    c = client()
    print(models.list_table(c, prefix=args[0] if args else ""))
    return 0


def cmd_ps(args: list[str]) -> int:
    c = client()
    print(models.ps_table(c))
    return 0


SHOW_FLAGS = ("--license", "--modelfile", "--parameters", "--system", "--template")


def cmd_show(args: list[str]) -> int:
    flags = [a for a in args if a.startswith("-")]
    names = [a for a in args if not a.startswith("-")]
    for flag in flags:
        if flag not in SHOW_FLAGS + ("-v", "--verbose"):
            raise CliError(M.ERR_UNKNOWN_FLAG.format(flag=flag))
    exact(names, 1)
    chosen = [f for f in flags if f in SHOW_FLAGS]
    if len(chosen) > 1:
        raise CliError(M.ERR_SHOW_FLAGS)
    c = client()
    resp = c.show(names[0])
    system = system_prompt(c, names[0])
    if not chosen:
        print(show_info(resp, verbose=bool({"-v", "--verbose"} & set(flags)), system=system))
        return 0
    field = chosen[0][2:]
    value = system if field == "system" else getattr(resp, field, None) or ""
    # Ollama prints --system and --template with no newline added, the others with one.
    print(value, end="" if field in ("system", "template") else "\n")
    return 0


def cmd_cp(args: list[str]) -> int:
    exact(args, 2)
    c = client()
    c.copy(args[0], args[1])
    print(M.COPIED.format(source=args[0], destination=args[1]))
    return 0


def cmd_rm(args: list[str]) -> int:
    at_least(args, 1)
    c = client()
    for name in args:
        try:  # unload first, as Ollama does; a model that is not loaded is fine
            c.generate(model=name, prompt="", keep_alive=0)
        except ollama.ResponseError:
            pass
        c.delete(name)
        print(M.DELETED.format(name=name))
    return 0


def cmd_stop(args: list[str]) -> int:
    exact(args, 1)
    c = client()
    try:
        c.show(args[0])
        c.generate(model=args[0], prompt="", keep_alive=0)
    except ollama.ResponseError as exc:
        if "not found" in exc.error:
            raise CliError(M.ERR_STOP_NOT_FOUND.format(name=args[0])) from None
        raise
    return 0


# --- pull, create --------------------------------------------------------------------------------
def pull(c: ollama.Client, name: str, insecure: bool = False) -> None:
    progress = PullProgress()
    for item in c.pull(name, insecure=insecure, stream=True):
        progress.update(item)


def cmd_pull(args: list[str]) -> int:
    insecure = "--insecure" in args
    names = [a for a in args if a != "--insecure"]
    reject_flags(names)
    exact(names, 1)
    c = client()
    pull(c, names[0], insecure)
    return 0


_FROM = re.compile(r"^([ \t]*FROM[ \t]+)(\S+)[ \t]*$", re.I | re.M)


def create_request(text: str, folder: Path, c: ollama.Client) -> dict[str, Any]:
    """The /api/create fields of a Modelfile; a FROM that names a file is uploaded as a blob first."""
    match = _FROM.search(text)
    source = match and (folder / os.path.expanduser(match.group(2)))
    if source is not None and source.is_file():
        fields = models.modelfile_to_create(_FROM.sub(r"\1uploaded-file", text, count=1))
        del fields["from_"]
        fields["files"] = {source.name: c.create_blob(source)}  # the client hashes and uploads it
        return fields
    try:
        return models.modelfile_to_create(text)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def cmd_create(args: list[str]) -> int:
    path, rest = None, []
    items = iter(args)
    for arg in items:
        if arg in ("-f", "--file"):
            path = next(items, None)
            if path is None:
                raise CliError(M.ERR_FLAG_VALUE.format(flag=arg))
        elif arg.startswith("--file="):
            path = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    reject_flags(rest)
    exact(rest, 1)
    modelfile = Path(path or "Modelfile")
    if not modelfile.is_file():
        raise CliError(M.ERR_MODELFILE_NOT_FOUND)
    c = client()
    fields = create_request(modelfile.read_text(encoding="utf-8"), modelfile.parent, c)
    status = None
    for item in c.create(model=rest[0], stream=True, **fields):
        if item.status != status:
            status = item.status
            print(status, file=sys.stderr, flush=True)
    return 0


# --- run -----------------------------------------------------------------------------------------
RUN_VALUE_FLAGS = ("--keepalive", "--format", "--think")
RUN_BOOL_FLAGS = ("--verbose", "--insecure", "--nowordwrap", "--hidethinking")


def parse_run(args: list[str]) -> tuple[list[str], dict[str, Any]]:
    flags: dict[str, Any] = {}
    positional: list[str] = []
    items = iter(args)
    for arg in items:
        key, has_value, value = arg.partition("=")
        if key in RUN_VALUE_FLAGS:
            if not has_value:
                given = "true" if key == "--think" else next(items, None)
                if given is None:
                    raise CliError(M.ERR_FLAG_VALUE.format(flag=key))
                value = given
            flags[key[2:]] = value
        elif arg in RUN_BOOL_FLAGS:
            flags[arg[2:]] = True
        elif arg.startswith("-") and not positional[1:]:
            raise CliError(M.ERR_UNKNOWN_FLAG.format(flag=arg))
        else:
            positional.append(arg)
    at_least(positional, 1)
    return positional, flags


def cmd_run(args: list[str]) -> int:
    positional, flags = parse_run(args)
    name, prompt = positional[0], " ".join(positional[1:])
    c = client()
    try:
        c.show(name)
    except ollama.ResponseError as exc:
        if exc.status_code != 404:
            raise
        pull(c, name, bool(flags.get("insecure")))
    think = {"true": True, "false": False}.get(str(flags.get("think", "")).lower())
    session = Session(
        model=name,
        format=flags.get("format"),
        think=think,
        verbose=bool(flags.get("verbose")),
        hide_thinking=bool(flags.get("hidethinking")),
        keep_alive=flags.get("keepalive"),
    )
    if not sys.stdin.isatty():  # piped text is part of the prompt, as in `echo text | ollama run m "sum up"`
        piped = sys.stdin.read()
        prompt = f"{piped}\n{prompt}".strip() if piped.strip() else prompt
    if prompt or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return one_shot(c, session, prompt)
    c.generate(model=name, prompt="", keep_alive=session.keep_alive)  # load before the first prompt
    return Chat(c, session, read=read_line).loop()


def one_shot(c: ollama.Client, session: Session, prompt: str) -> int:
    final, opened = None, False
    try:
        for chunk in c.generate(
            model=session.model,
            prompt=prompt,
            format=cast(Any, session.format),  # the client types format as Literal['', 'json'] | dict
            think=session.think,
            keep_alive=session.keep_alive,
            stream=True,
        ):
            final = chunk
            if chunk.thinking and not session.hide_thinking:
                if not opened:
                    sys.stdout.write(M.THINKING_OPEN)
                    opened = True
                sys.stdout.write(chunk.thinking)
            if chunk.response and opened:
                sys.stdout.write("\n" + M.THINKING_CLOSE)
                opened = False
            sys.stdout.write(chunk.response or "")
            sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    if prompt:
        sys.stdout.write("\n\n")
    sys.stdout.flush()
    if session.verbose and final is not None:
        print(stats(final), file=sys.stderr)
    return 0


# --- serve, --version ----------------------------------------------------------------------------
def cmd_serve(args: list[str]) -> int:
    exact(args, 0)
    from ..ollama_server.server import serve

    try:
        serve()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_version(_: list[str]) -> int:
    try:
        # The Python client has no version() call; its HTTP client has OLLAMA_HOST's base URL (path included).
        version = client()._client.get("/api/version").raise_for_status().json()["version"]
    except (httpx.HTTPError, ConnectionError, ollama.ResponseError):
        print(M.WARN_NO_INSTANCE)
        version = ""
    if version:
        print(M.VERSION_LINE.format(version=version))
    if version != CLIENT_VERSION:
        print(M.WARN_CLIENT_VERSION.format(version=CLIENT_VERSION))
    return 0


# --- argument checks, as cobra words them --------------------------------------------------------
def exact(args: list[str], n: int) -> None:
    if len(args) != n:
        raise CliError(M.ERR_EXACT_ARGS.format(n=n, got=len(args)))


def at_least(args: list[str], n: int) -> None:
    if len(args) < n:
        raise CliError(M.ERR_MIN_ARGS.format(n=n, got=len(args)))


def reject_flags(args: list[str]) -> None:
    for arg in args:
        if arg.startswith("-"):
            raise CliError(M.ERR_UNKNOWN_FLAG.format(flag=arg))


COMMANDS = {
    "list": cmd_list,
    "ls": cmd_list,
    "ps": cmd_ps,
    "show": cmd_show,
    "cp": cmd_cp,
    "rm": cmd_rm,
    "stop": cmd_stop,
    "pull": cmd_pull,
    "create": cmd_create,
    "run": cmd_run,
    "serve": cmd_serve,
    "start": cmd_serve,
}

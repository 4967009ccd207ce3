"""`ollama run MODEL` with no prompt on a terminal: the `>>>` chat, its slash commands and `\"\"\"`.

What each command does and prints follows Ollama's cmd/interactive.go `generateInteractive`. The chat
goes over /api/chat through the official `ollama` client, keeping the whole history, as Ollama does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import ollama

from .. import ollama_options
from . import messages as M
from .render import show_info, stats, system_prompt


def parameter_value(name: str, values: list[str]) -> Any:
    """`/set parameter NAME VALUE...` typed as Ollama types it (`ollama_options`); ValueError with Ollama's wording."""
    return ollama_options.parsed(name, values)


@dataclass
class Session:
    """What `ollama run` keeps between turns: the model, history, options and modes."""

    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    system: str | None = None
    format: str | None = None
    think: bool | None = None
    verbose: bool = False
    hide_thinking: bool = False
    keep_alive: str | None = None


def chat_turn(client: ollama.Client, session: Session, out: Callable[[str], Any]) -> dict[str, Any] | None:
    """Stream one answer to the screen; the assistant message, or None when Ctrl+C stopped it."""
    content, thinking, final, opened = [], [], None, False
    try:
        stream = client.chat(
            model=session.model,
            messages=session.messages,
            options=session.options or None,
            format=cast(Any, session.format),  # the client types format as Literal['', 'json'] | dict
            think=session.think,
            keep_alive=session.keep_alive,
            stream=True,
        )
        for chunk in stream:
            final = chunk
            piece = chunk.message.thinking or ""
            if piece and not session.hide_thinking:
                if not opened:
                    out(M.THINKING_OPEN)
                    opened = True
                thinking.append(piece)
                out(piece)
            text = chunk.message.content or ""
            if text and opened:
                out(("" if "".join(thinking).endswith("\n") else "\n") + M.THINKING_CLOSE)
                opened = False
            content.append(text)
            out(text)
    except KeyboardInterrupt:  # Ctrl+C stops the answer, not the session
        out("\n\n")
        return None
    out("\n\n")
    if session.verbose and final is not None:
        print(stats(final), file=sys.stderr, flush=True)
    return {"role": "assistant", "content": "".join(content)}


class Chat:
    """The read-eval loop. `read` returns a line (EOFError on Ctrl+D, KeyboardInterrupt on Ctrl+C)."""

    def __init__(
        self,
        client: ollama.Client,
        session: Session,
        read: Callable[[str], str] = input,
        out: Callable[[str], None] | None = None,
    ):
        self.client, self.session, self.read = client, session, read
        self.out = out or (lambda text: (sys.stdout.write(text), sys.stdout.flush()))

    def say(self, text: str) -> None:
        self.out(text + "\n")

    def loop(self) -> int:
        buffer: list[str] = []
        while True:
            try:
                line = self.read(M.ALT_PROMPT if buffer else M.PROMPT)
            except EOFError:
                self.out("\n")
                return 0
            except KeyboardInterrupt:
                if not buffer:
                    self.say(M.EXIT_HINT)
                else:
                    self.out("\n")
                buffer = []
                continue
            if buffer:  # inside a """ block: until a line ends with """
                if line.endswith('"""'):
                    buffer.append(line[:-3])
                    self.send("\n".join(buffer))
                    buffer = []
                else:
                    buffer.append(line)
                continue
            if line.startswith('"""'):
                rest = line[3:]
                if rest.endswith('"""') and len(rest) >= 3:
                    self.send(rest[:-3])
                else:
                    buffer = [rest]
                continue
            if line.startswith(("/bye", "/exit")):
                return 0
            if line.startswith("/"):
                self.command(line)
                continue
            if line.strip():
                self.send(line)

    def send(self, text: str) -> None:
        self.session.messages.append({"role": "user", "content": text})
        try:
            answer = chat_turn(self.client, self.session, self.out)
        except ollama.ResponseError as exc:
            self.say(M.ERROR_LINE.format(message=exc.error))
            self.session.messages.pop()
            return
        except (httpx.HTTPError, ConnectionError) as exc:  # the server or a proxy dropped the answer
            self.say(M.ERROR_LINE.format(message=exc))
            self.session.messages.pop()
            return
        if answer is None:
            self.session.messages.pop()
        else:
            self.session.messages.append(answer)

    def command(self, line: str) -> None:
        args = line.split()
        word = args[0]
        if word in ("/?", "/help"):
            topic = args[1] if len(args) > 1 else ""
            self.out(
                {
                    "set": M.HELP_SET,
                    "/set": M.HELP_SET,
                    "show": M.HELP_SHOW,
                    "/show": M.HELP_SHOW,
                    "shortcut": M.HELP_SHORTCUTS,
                    "shortcuts": M.HELP_SHORTCUTS,
                }.get(topic, M.HELP)
                + "\n"
            )
        elif word == "/set":
            self.set(args, line)
        elif word == "/show":
            self.show(args)
        elif word == "/clear":
            self.session.messages = [m for m in self.session.messages if m["role"] == "system"]
            self.say(M.CLEARED)
        elif word == "/load":
            self.load(args)
        elif word == "/save":
            self.save(args)
        else:
            self.say(M.UNKNOWN.format(command=word))

    def set(self, args: list[str], line: str) -> None:
        s = self.session
        what = args[1] if len(args) > 1 else ""
        if what == "parameter":
            if len(args) < 4:
                self.out(M.HELP_PARAMETERS + "\n")
                return
            try:
                s.options[args[2]] = parameter_value(args[2], args[3:])
            except ValueError as exc:
                self.say(M.SET_PARAMETER_FAILED.format(error=exc))
                return
            self.say(M.SET_PARAMETER.format(name=args[2], value=", ".join(args[3:])))
        elif what == "system":
            s.system = line.split("system", 1)[1].strip().strip('"')
            s.messages = [m for m in s.messages if m["role"] != "system"]
            s.messages.insert(0, {"role": "system", "content": s.system})
            self.say(M.SET_SYSTEM)
        elif what in ("verbose", "quiet"):
            s.verbose = what == "verbose"
            self.say(M.SET_VERBOSE if s.verbose else M.SET_QUIET)
        elif what in ("think", "nothink"):
            s.think = what == "think"
            self.say(M.SET_THINK if s.think else M.SET_NOTHINK)
        elif what == "format":
            if len(args) < 3 or args[2] != "json":
                self.say(M.SET_FORMAT_INVALID)
                return
            s.format = "json"
            self.say(M.SET_FORMAT.format(format="json"))
        elif what == "noformat":
            s.format = None
            self.say(M.SET_NOFORMAT)
        elif not what:
            self.out(M.HELP_SET + "\n")
        else:
            self.say(M.SET_UNKNOWN.format(what=what))

    def show(self, args: list[str]) -> None:
        what = args[1] if len(args) > 1 else ""
        if not what:
            self.out(M.HELP_SHOW + "\n")
            return
        try:
            resp = self.client.show(self.session.model)
        except ollama.ResponseError:
            self.say("error: couldn't get model")
            return
        if what == "info":
            self.out(show_info(resp) + "\n")
        elif what == "license":
            self.say(resp.license or M.NO_LICENSE)
        elif what == "modelfile":
            self.say(resp.modelfile or "")
        elif what == "parameters":
            self.say(M.MODEL_PARAMETERS)
            lines = [line for line in (resp.parameters or "").splitlines() if line.strip()]
            self.say("\n".join(f"  {line}" for line in lines) if lines else M.NO_MODEL_PARAMETERS)
            self.out("\n")
            if self.session.options:
                self.say(M.USER_PARAMETERS)
                for key, value in self.session.options.items():
                    self.say(f"  {key:<30} {value}")
                self.out("\n")
        elif what == "system":
            system = self.session.system or system_prompt(self.client, self.session.model)
            self.say(system + "\n" if system else M.NO_SYSTEM)
        elif what == "template":
            self.say(resp.template or M.NO_TEMPLATE)
        else:
            self.say(M.SHOW_UNKNOWN.format(what=what))

    def load(self, args: list[str]) -> None:
        if len(args) != 2:
            self.say(M.LOAD_USAGE)
            return
        self.say(M.LOADING.format(name=args[1]))
        try:
            self.client.show(args[1])
            self.client.generate(model=args[1], prompt="", keep_alive=self.session.keep_alive)
        except ollama.ResponseError:
            self.say(M.NO_SUCH_MODEL.format(name=args[1]))
            return
        self.session.model = args[1]
        self.session.messages = []

    def save(self, args: list[str]) -> None:
        if len(args) != 2:
            self.say(M.SAVE_USAGE)
            return
        s = self.session
        try:
            for _ in self.client.create(
                model=args[1],
                from_=s.model,
                system=s.system,
                parameters=s.options or None,
                messages=[m for m in s.messages if m["role"] != "system"] or None,
                stream=True,
            ):
                pass
        except ollama.ResponseError as exc:
            self.say(M.ERROR_LINE.format(message=exc.error))
            return
        self.say(M.SAVED.format(name=args[1]))


def read_line(prompt: str) -> str:
    """input() with line editing where the readline module exists (not on Windows)."""
    try:
        import readline  # noqa: F401  (importing it gives input() history and editing)
    except ImportError:
        pass
    return input(prompt)

"""`python -m lessons_lib.ollama_server serve`: like `ollama serve`, honouring OLLAMA_HOST.

Models live in `--models`, else WORKBOOK_MODELS, else the course's cache: never in the learner's real
Ollama store (OLLAMA_MODELS), which the course only reads. Pass `--models` to serve one on purpose."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lessons_lib.ollama_server",
        description="The course's embedded Ollama-compatible server (llama.cpp through llama-cpp-python).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="start the server (OLLAMA_HOST as for `ollama serve`)")
    serve_cmd.add_argument("--host", help="address to listen on, e.g. 127.0.0.1:11434 (default: OLLAMA_HOST)")
    serve_cmd.add_argument(
        "--models", help="model folder in Ollama's layout (default: WORKBOOK_MODELS or the course cache)"
    )
    serve_cmd.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    mirror_cmd = commands.add_parser(
        "mirror", help="serve a model folder over Ollama's registry protocol (pull mirror)"
    )
    mirror_cmd.add_argument("--host", default="127.0.0.1:5000", help="address to listen on (default 127.0.0.1:5000)")
    mirror_cmd.add_argument(
        "--models", help="model folder in Ollama's layout (default: WORKBOOK_MODELS or the course cache)"
    )
    args = parser.parse_args(argv)
    if args.command == "mirror":
        return _mirror(args.host, args.models)
    from .server import serve

    try:
        serve(args.host, args.models, log_level=args.log_level)
    except KeyboardInterrupt:
        pass
    return 0


def _mirror(host: str, models: str | None) -> int:
    import threading

    from .mirror import RegistryMirror
    from .server import parse_host
    from .store import default_models_dir

    address = parse_host(host, default_port=5000)
    mirror = RegistryMirror(models or default_models_dir(), address.host, address.port).start()
    names = ", ".join(e.name.display for e in mirror.store.list()) or "(no models)"
    print(f"Registry mirror of {mirror.store.root} at {mirror.url}: {names}", flush=True)
    print(f"Pull with: ollama pull --insecure {mirror.host}/library/<model>:<tag>", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        mirror.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

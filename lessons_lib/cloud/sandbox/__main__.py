"""`python -m lessons_lib.cloud.sandbox [--port 8765] [--time-scale 60]`: the sandbox for a workshop.

Learners point their notebooks at it with the two lines it prints; Ctrl+C terminates every pod.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading

from .server import BASE_URL_ENV, PROXY_ENV, Sandbox

MSG_HOWTO = (
    "In each notebook (or before starting Jupyter), set:\n"
    "  {base}={url}\n  {proxy}={template}\n  RUNPOD_API_KEY={key}\n"
    "Press Ctrl+C to stop; every sandbox pod is terminated."
)
MSG_BYE = "Sandbox stopped; {n} pod(s) were terminated; they would have cost ${spent:.4f}."
ERR_PORT = "Cannot listen on {host}:{port} ({error}). Is a sandbox already running? Pick another --port."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons_lib.cloud.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 serves the whole room")
    parser.add_argument(
        "--public-host",
        default=None,
        help="the name or IP learners use (default with --host 0.0.0.0: this machine's name)",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--time-scale", type=float, default=60.0, help="simulated seconds per real second")
    parser.add_argument("--boot-seconds", type=float, default=20.0, help="simulated seconds until a pod is ready")
    parser.add_argument("--models", default=None, help="model store the pods serve (default: the course's)")
    parser.add_argument(
        "--no-graphql-pods",
        action="store_true",
        help="refuse GraphQL pod operations, as RunPod will after GraphQL retires (pods then speak REST v2 only)",
    )
    args = parser.parse_args(argv)
    public = args.public_host or (socket.gethostname() if args.host in ("0.0.0.0", "") else None)
    sandbox = Sandbox(
        args.models,
        time_scale=args.time_scale,
        boot_seconds=args.boot_seconds,
        host=args.host,
        port=args.port,
        activate=False,
        public_host=public,
        graphql_pods=not args.no_graphql_pods,
    )
    try:
        sandbox.start()
    except OSError as exc:
        print(ERR_PORT.format(host=args.host, port=args.port, error=exc.strerror or exc), file=sys.stderr)
        return 1
    print(sandbox.describe())
    # The workshop key is printed on purpose: it is a made-up key that only this sandbox accepts.
    print(
        MSG_HOWTO.format(
            base=BASE_URL_ENV,
            url=sandbox.url,
            proxy=PROXY_ENV,
            template=sandbox.proxy_template,
            key=sandbox.api_key.reveal(),
        ),
        flush=True,
    )

    def _terminate(*_args):  # `kill` (SIGTERM) ends pods as cleanly as Ctrl+C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        n = len(sandbox.cloud.live_pods())
        sandbox.stop()
        print(MSG_BYE.format(n=n, spent=sandbox.spent()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

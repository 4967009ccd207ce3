"""Proof that this machine's llama.cpp runs: a few tokens from the bundled model, in a child process.

Reading llama.cpp's system info says what was compiled, not whether it runs: a build with an
instruction the CPU cannot execute loads fine and dies on the first token (SIGILL, or a general
protection fault in AMX code). So setup and `make check` generate real tokens in a child process and
read its fate: a signal, a hang, an error, or tokens at a speed compared with what this machine's
memory bandwidth allows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, replace

from ..edition import text, use_environment
from .build import signal_name

SMOKE_TOKENS = 16
SMOKE_PROMPT = "The capital of France is"
SMOKE_TIMEOUT_S = 180.0
# "Far below expected": under this share of the memory-bandwidth roofline (weights read once per token).
# A healthy CPU build reaches 0.3-0.9 of it even on a busy machine; a build without SIMD or stuck on
# one slow core lands far under 0.05.
SLOW_SHARE = 0.03
FIX_REBUILD = "make rebuild-llama"


@dataclass(frozen=True)
class SmokeResult:
    ok: bool
    message: str
    fix: str = ""
    tokens: int = 0
    tokens_per_s: float = 0.0
    roofline_tokens_per_s: float = 0.0
    system_info: str = ""

    @property
    def slow(self) -> bool:
        return (
            self.ok and self.roofline_tokens_per_s > 0 and self.tokens_per_s < SLOW_SHARE * self.roofline_tokens_per_s
        )


def child_command() -> list[str]:
    return [sys.executable, "-m", "lessons_lib.llama.smoke", "--child"]


def run_smoke(command: list[str] | None = None, timeout: float = SMOKE_TIMEOUT_S) -> SmokeResult:
    """Run the smoke child (or `command`, as tests do) and say what happened, in one line."""
    command = command or child_command()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        return SmokeResult(False, text("check.smoke_hung", timeout=timeout), FIX_REBUILD)
    if done.returncode < 0:
        return SmokeResult(False, text("check.smoke_crashed", signal=signal_name(-done.returncode)), FIX_REBUILD)
    report = _last_json_line(done.stdout)
    if done.returncode != 0 or report is None:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        return SmokeResult(False, text("check.smoke_failed", detail=last[:300]), FIX_REBUILD)
    rate, limit = float(report["tokens_per_s"]), float(report["roofline_tokens_per_s"])
    result = SmokeResult(True, "", "", int(report["tokens"]), rate, limit, str(report.get("system_info", "")))
    share = rate / limit if limit else 0.0
    if result.slow:
        return replace(result, message=text("check.smoke_slow", rate=rate, share=share, limit=limit), fix=FIX_REBUILD)
    model = report.get("model", "the bundled model")
    return replace(result, message=text("check.smoke_ok", tokens=result.tokens, model=model, rate=rate, share=share))


def _last_json_line(text: str) -> dict | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "tokens_per_s" in value:
            return value
    return None


def _child() -> int:
    """Generate SMOKE_TOKENS greedy tokens from the bundled model and print one JSON line."""
    import llama_cpp

    from ..bundled import BUNDLED_MODEL, bundled_gguf_path
    from ..hardware import generation_threads, memory_bandwidth

    path = bundled_gguf_path()
    threads = generation_threads()
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, n_threads=threads, verbose=False)
    stamps = []
    chunks = llm.create_completion(SMOKE_PROMPT, max_tokens=SMOKE_TOKENS, temperature=0.0, stream=True)
    assert not isinstance(chunks, dict)  # stream=True: an iterator of chunks
    for chunk in chunks:
        if chunk["choices"][0]["text"]:
            stamps.append(time.perf_counter())
    decode = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    roofline = memory_bandwidth(threads, size=256 << 20, repeats=3) / path.stat().st_size
    print(
        json.dumps(
            {
                "model": BUNDLED_MODEL,
                "tokens": len(stamps),
                "tokens_per_s": round(decode, 1),
                "roofline_tokens_per_s": round(roofline, 1),
                "system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
            }
        )
    )
    return 0 if stamps else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    use_environment()
    if argv[:1] == ["--child"]:
        return _child()
    result = run_smoke()
    status = "no" if not result.ok else "slow" if result.slow else "ok"
    print(text(f"check.smoke_status_{status}") + " " + result.message)
    if result.fix:
        print("    -> " + text("check.smoke_fix", fix=result.fix))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

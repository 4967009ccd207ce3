"""Decode speed through the embedded server (official `ollama` client) versus direct llama-cpp-python.

Same GGUF, same prompt (rendered by the model's own chat template), same Ollama default sampling
options, same thread count; the two paths take turns, round after round, in one run, and the
medians are compared. Not a timed test: run it with `make bench`.

Figures:
  server (server-side)  eval_count / eval_duration from the server's own final chunk
  server (client-side)  tokens streamed to the client per second, first to last chunk
  direct generate()     llama-cpp-python's token generator, the loop the server uses
  direct completion     llama-cpp-python's create_completion(stream=True), the usual one-liner
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import llama_cpp
import ollama

from lessons_lib import hardware
from lessons_lib.bundled import BUNDLED_MODEL, bundled_gguf_path
from lessons_lib.llama import gguf_file
from lessons_lib.ollama_server import EmbeddedServer
from lessons_lib.ollama_server.prompts import chat_formatter

PROMPT = "Write a long, detailed story about a dragon who learns to bake bread."
# Ollama's defaults (not llama-cpp-python's), greedy so both paths do the same work.
SAMPLING = {"temperature": 0.0, "top_k": 40, "top_p": 0.9, "min_p": 0.0, "repeat_penalty": 1.0}


def direct_generate(llm: llama_cpp.Llama, tokens: list[int], n: int) -> float:
    llm.reset()
    stamps = []
    gen = llm.generate(tokens, top_k=40, top_p=0.9, min_p=0.0, temp=0.0, repeat_penalty=1.0)
    for token in gen:
        stamps.append(time.perf_counter())
        llm.detokenize([token])
        if len(stamps) >= n or llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
            break
    gen.close()
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def direct_completion(llm: llama_cpp.Llama, prompt: str, n: int) -> float:
    llm.reset()
    stamps = []
    for _ in llm.create_completion(
        prompt, max_tokens=n, stream=True, temperature=0.0, top_k=40, top_p=0.9, min_p=0.0, repeat_penalty=1.0
    ):
        stamps.append(time.perf_counter())
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def through_server(client: ollama.Client, n: int) -> tuple[float, float]:
    stamps, final = [], None
    messages = [{"role": "user", "content": PROMPT}]
    for chunk in client.chat(
        model=BUNDLED_MODEL, messages=messages, stream=True, options={**SAMPLING, "num_predict": n, "seed": 1}
    ):
        if chunk.done:
            final = chunk
        else:
            stamps.append(time.perf_counter())
    server_side = final.eval_count / final.eval_duration * 1e9
    client_side = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    return server_side, client_side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()

    path = bundled_gguf_path()
    info = gguf_file.read(path)
    threads = hardware.generation_threads()
    llm = llama_cpp.Llama(
        str(path), n_ctx=4096, n_batch=512, n_ubatch=512, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    prompt = chat_formatter(info)(messages=[{"role": "user", "content": PROMPT}]).prompt
    tokens = llm.tokenize(prompt.encode(), add_bos=False, special=True)

    results: dict[str, list[float]] = {
        k: [] for k in ("server (server-side)", "server (client-side)", "direct generate()", "direct completion")
    }
    with tempfile.TemporaryDirectory() as models, EmbeddedServer(models=models) as server:
        client = ollama.Client(host=server.url)
        through_server(client, 8)  # load and warm up both paths
        direct_generate(llm, tokens, 8)
        for _ in range(args.rounds):
            server_side, client_side = through_server(client, args.tokens)
            results["server (server-side)"].append(server_side)
            results["server (client-side)"].append(client_side)
            results["direct generate()"].append(direct_generate(llm, tokens, args.tokens))
            results["direct completion"].append(direct_completion(llm, prompt, args.tokens))

    medians = {k: statistics.median(v) for k, v in results.items()}
    print(
        f"{BUNDLED_MODEL} ({info.file_type}, {path.stat().st_size / 1e6:.0f} MB), {threads} threads, "
        f"{args.tokens} tokens, {args.rounds} rounds, medians of decode tokens/s"
    )
    for name, value in medians.items():
        spread = f"{min(results[name]):.1f}-{max(results[name]):.1f}"
        print(f"  {name:<22} {value:7.1f} tok/s   (range {spread})")
    print("ratios (server / direct):")
    for server_key in ("server (server-side)", "server (client-side)"):
        for direct_key in ("direct generate()", "direct completion"):
            print(f"  {server_key} / {direct_key}: {medians[server_key] / medians[direct_key]:.3f}")


if __name__ == "__main__":
    main()

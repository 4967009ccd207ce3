"""What pulling over Ollama's registry protocol costs on top of copying the file, and what resuming saves.

Same 98 MB GGUF (the bundled SmolLM2), served by the course's registry mirror on 127.0.0.1 and
pulled by the embedded server's pull code (`registry.pull_model`) into an empty store, against
the floor: `shutil.copyfile` plus one sha256 pass (what any verified copy must do). Then a pull
cut at half the file and resumed (HTTP Range) against a full pull. Rounds alternate; medians.
Not a timed test: run it with `make bench`.
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from lessons_lib.bundled import bundled_gguf_path
from lessons_lib.ollama_server.mirror import RegistryMirror
from lessons_lib.ollama_server.registry import pull_model
from lessons_lib.ollama_server.store import Store

ROUNDS = 5


def copy_and_hash(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    digest = hashlib.sha256()
    with open(target, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)


def main() -> None:
    gguf = bundled_gguf_path()
    with tempfile.TemporaryDirectory() as tmp:
        source = Store(Path(tmp) / "source")
        source.register_gguf("library/bench:1", gguf)
        layer = source.find("library/bench:1").layer("application/vnd.ollama.image.model")
        with RegistryMirror(source.root) as mirror:
            name = f"{mirror.host}/library/bench:1"
            pulls, copies, resumes = [], [], []
            for round_ in range(ROUNDS):
                target = Store(Path(tmp) / f"pull-{round_}")
                started = time.perf_counter()
                pull_model(target, name, True, lambda line: None)
                pulls.append(time.perf_counter() - started)

                started = time.perf_counter()
                copy_and_hash(gguf, Path(tmp) / f"copy-{round_}.gguf")
                copies.append(time.perf_counter() - started)

                # a pull that stopped half way: the partial file is what the next pull finds
                resumed = Store(Path(tmp) / f"resume-{round_}")
                partial = resumed.partial_path(layer["digest"])
                partial.parent.mkdir(parents=True)
                with open(gguf, "rb") as src, open(partial, "wb") as dst:
                    dst.write(src.read(layer["size"] // 2))
                started = time.perf_counter()
                pull_model(resumed, name, True, lambda line: None)
                resumes.append(time.perf_counter() - started)
                for folder in (f"pull-{round_}", f"resume-{round_}"):
                    shutil.rmtree(Path(tmp) / folder)
                (Path(tmp) / f"copy-{round_}.gguf").unlink()

    size_mb = layer["size"] / 1e6
    pull, copy, resume = (statistics.median(x) for x in (pulls, copies, resumes))
    print(f"file: {size_mb:.1f} MB, {ROUNDS} rounds, medians")
    print(f"pull from the local mirror   {pull:6.2f} s  ({size_mb / pull:6.0f} MB/s)")
    print(f"copy + sha256 (the floor)    {copy:6.2f} s  ({size_mb / copy:6.0f} MB/s)")
    print(f"resume from half way         {resume:6.2f} s")
    print(f"pull / copy+hash ratio: {pull / copy:.2f}x    resume / full pull ratio: {resume / pull:.2f}x")


if __name__ == "__main__":
    main()

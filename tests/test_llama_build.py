"""The llama.cpp build: explicit CPU flags, AMX only after a probe, a wheel cache keyed by flags, and the
smoke test that catches a build which crashes on its first token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lessons_lib import install
from lessons_lib.llama import build, cpu_code, smoke

AVX2_CPU = {"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"}
AVX512 = {"avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw", "avx512vbmi", "avx512_vnni", "avx512_bf16"}
SAPPHIRE_RAPIDS = AVX2_CPU | AVX512 | {"avx_vnni", "amx_tile", "amx_int8", "amx_bf16"}
CRASH = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]


def options(plan: build.BuildPlan) -> dict[str, str]:
    return dict(arg[2:].split("=", 1) for arg in plan.cmake_args if arg.startswith("-D"))


def test_avx2_cpu_gets_exactly_its_features():
    chosen = options(build.plan("cpu", machine="x86_64", flags=AVX2_CPU))
    assert chosen["GGML_NATIVE"] == "OFF"
    assert all(chosen[f"GGML_{f}"] == "ON" for f in ("SSE42", "AVX", "AVX2", "FMA", "F16C", "BMI2"))
    assert all(chosen[f"GGML_{f}"] == "OFF" for f in ("AVX512", "AVX512_VNNI", "AVX_VNNI", "AMX_TILE", "AMX_INT8"))


def test_amx_needs_a_passing_probe_not_just_the_flag():
    failed = options(
        build.plan("cpu", machine="x86_64", flags=SAPPHIRE_RAPIDS, amx=build.Probe(False, "crashed (SIGSEGV)"))
    )
    assert failed["GGML_AVX512"] == failed["GGML_AVX512_BF16"] == failed["GGML_AVX_VNNI"] == "ON"
    assert failed["GGML_AMX_TILE"] == failed["GGML_AMX_INT8"] == failed["GGML_AMX_BF16"] == "OFF"
    passed = options(build.plan("cpu", machine="x86_64", flags=SAPPHIRE_RAPIDS, amx=build.Probe(True, "ran")))
    assert passed["GGML_AMX_TILE"] == passed["GGML_AMX_INT8"] == "ON"


def test_avx512_needs_all_five_subsets():
    partial = AVX2_CPU | {"avx512f", "avx512cd"}  # e.g. Knights Landing lacks VL/DQ/BW
    assert options(build.plan("cpu", machine="x86_64", flags=partial))["GGML_AVX512"] == "OFF"


def test_arm64_gets_an_explicit_march():
    linux_neoverse = {"fp", "asimd", "asimddp", "asimdhp", "i8mm", "sve"}
    chosen = build.plan("cpu", machine="aarch64", flags=linux_neoverse)
    assert options(chosen)["GGML_CPU_ARM_ARCH"] == "armv8.2-a+dotprod+fp16+i8mm"
    assert options(chosen)["GGML_NATIVE"] == "OFF"
    assert not any("AVX" in arg for arg in chosen.cmake_args)
    apple_m1 = build.plan(None, machine="arm64", flags={"FEAT_DotProd", "FEAT_FP16"})
    assert options(apple_m1)["GGML_CPU_ARM_ARCH"] == "armv8.2-a+dotprod+fp16"


def test_no_plan_asks_for_native_code():
    for machine, flags in (("x86_64", SAPPHIRE_RAPIDS), ("aarch64", {"asimddp"}), ("x86_64", set())):
        args = build.plan("cpu", machine=machine, flags=flags, probe=False).cmake_args
        assert "-DGGML_NATIVE=OFF" in args and not any("native" in a.lower() and "=OFF" not in a for a in args)


def test_gpu_choice_is_in_the_flags_and_the_key():
    cpu = build.plan("cpu", machine="x86_64", flags=AVX2_CPU)
    cuda = build.plan("cuda", machine="x86_64", flags=AVX2_CPU)
    assert options(cuda)["GGML_CUDA"] == "ON" and "GGML_CUDA" not in options(cpu)
    assert cpu.key != cuda.key
    assert build.plan("cpu", machine="x86_64", flags=AVX2_CPU).key == cpu.key, "same flags, same key"
    assert build.plan("cpu", machine="x86_64", flags=AVX2_CPU | {"avx_vnni"}).key != cpu.key
    assert build.default_gpu("Darwin", "arm64") == "metal" and build.default_gpu("Linux", "x86_64") == "cpu"
    with pytest.raises(ValueError, match="GPU='rocm'"):
        build.plan("rocm", machine="x86_64", flags=AVX2_CPU)


def test_cpuinfo_flags_are_read_from_linux_text():
    text = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 amx_tile\nbugs\t\t: spectre_v1\n"
    assert build.cpu_flags(text) == {"fpu", "sse4_2", "avx", "avx2", "amx_tile"}
    assert build.cpu_flags("Features\t: fp asimd asimddp\n") == {"fp", "asimd", "asimddp"}


def test_probe_reads_a_crash_a_hang_and_a_wrong_answer():
    assert build.run_probe(CRASH) == build.Probe(False, "crashed (SIGSEGV)")
    hung = build.run_probe([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert not hung.passed and "hung" in hung.detail
    assert build.run_probe([sys.executable, "-c", "raise SystemExit(4)"]) == build.Probe(False, "wrong result")
    assert build.run_probe([sys.executable, "-c", "pass"]).passed


def test_the_real_amx_probe_agrees_with_this_cpu():
    """On a CPU without AMX the tile program must not pass (it is refused, or dies, in its child)."""
    result = build.amx_probe()
    if not {"amx_tile", "amx_int8"} <= build.cpu_flags():
        assert not result.passed, result
    assert result.detail


def test_installed_build_runs_only_code_this_cpu_has():
    """Whatever machine this is: no AVX-512 or AMX in the installed build unless the CPU (and probe) allow it."""
    import llama_cpp

    flags = build.cpu_flags()
    info = llama_cpp.llama_print_system_info().decode()
    if "avx512f" not in flags:
        assert "AVX512 = 1" not in info, info
    record = install.installed_build()
    probe_passed = bool(record and (record.get("amx_probe") or {}).get("passed"))
    assert cpu_code.ggml_cpu_libraries(), "libggml-cpu not found in the installed llama_cpp"
    assert cpu_code.amx_instructions() == 0 or probe_passed


def test_amx_scan_finds_tile_instructions(tmp_path: Path):
    """The scanner must see AMX when it is there: a tiny object compiled with a tile instruction."""
    source = tmp_path / "t.c"
    source.write_text("#include <immintrin.h>\nvoid f(const void *c) { _tile_loadconfig(c); }\n")
    lib = tmp_path / "libggml-cpu.so"
    built = subprocess.run(["gcc", "-shared", "-fPIC", "-mamx-tile", str(source), "-o", str(lib)], check=False)
    if built.returncode != 0:
        pytest.skip("this compiler cannot emit AMX code")
    if build.normalize_machine() == "x86_64":
        assert cpu_code.amx_instructions([lib]) >= 1
    assert lib.read_bytes().count(cpu_code.LDTILECFG_PREFIX) >= 1


@pytest.mark.slow  # loads the model and measures memory bandwidth
def test_smoke_generates_real_tokens():
    result = smoke.run_smoke()
    assert result.ok, result.message  # slow is load-dependent on a shared machine, so not asserted here
    assert result.tokens >= 2 and result.tokens_per_s > 0 and result.roofline_tokens_per_s > 0
    assert "tok/s" in result.message and "CPU" in result.system_info


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (CRASH, "crashed on the first tokens (SIGSEGV)"),
        (
            [sys.executable, "-c", "import sys; print('llama_model_load: error', file=sys.stderr); sys.exit(1)"],
            "failed to generate: llama_model_load: error",
        ),
    ],
)
def test_smoke_says_what_went_wrong_and_the_fix(command, expected):
    result = smoke.run_smoke(command)
    assert not result.ok and expected in result.message
    assert result.fix == "make rebuild-llama"


def test_smoke_catches_a_hang():
    result = smoke.run_smoke([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1.5)
    assert not result.ok and "did not answer within 2 s" in result.message


def test_smoke_flags_a_build_far_below_the_roofline():
    report = {"tokens": 16, "tokens_per_s": 0.5, "roofline_tokens_per_s": 200.0}
    result = smoke.run_smoke([sys.executable, "-c", f"print({json.dumps(json.dumps(report))})"])
    assert result.ok and result.slow and "far below" in result.message and result.fix


@pytest.mark.slow  # runs make check
def test_make_check_catches_a_crashing_llama_cpp():
    """`python -m lessons_lib.check` pointed at a child that dies: exit 1, one line with the cause and the fix."""
    crash = "python -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'"
    done = subprocess.run(
        [sys.executable, "-m", "lessons_lib.check", "--smoke-command", crash],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    line = next(line for line in done.stdout.splitlines() if "first tokens" in line)
    assert line.startswith("NO") and "SIGSEGV" in line
    assert "make rebuild-llama" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_wheel_cache_serves_a_wheel_only_to_its_own_flags(tmp_path, monkeypatch):
    """A cached wheel is reused for the same key; other flags build anew; a rebuild ignores the cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(install, "BUILD_RECORD", tmp_path / "record.json")
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(install, "pip", lambda *args, env=None: calls.append(args))
    built: list[str] = []

    def fake_build(plan, folder):
        folder.mkdir(parents=True, exist_ok=True)  # a rebuild replaces the cached wheel
        wheel = folder / "llama_cpp_python-0.3.36-cp311-cp311-linux_x86_64.whl"
        wheel.write_bytes(b"")
        built.append(plan.key)
        return wheel

    monkeypatch.setattr(install, "build_wheel", fake_build)
    avx2 = build.plan("cpu", machine="x86_64", flags=AVX2_CPU)
    install.ensure_llama(avx2)
    install.ensure_llama(avx2)  # recorded as this environment's build: nothing to do
    assert built == [avx2.key]
    (tmp_path / "record.json").unlink()
    install.ensure_llama(avx2)  # a fresh environment on the same machine: the cached wheel, no build
    assert built == [avx2.key] and sum(c[0] == "install" for c in calls) == 2
    assert install.wheel_folder(avx2).name.endswith(avx2.key)
    avx512 = build.plan("cpu", machine="x86_64", flags=AVX2_CPU | AVX512)
    install.ensure_llama(avx512)
    assert built == [avx2.key, avx512.key]
    install.ensure_llama(avx2, rebuild=True)
    assert built == [avx2.key, avx512.key, avx2.key]
    installs = [c for c in calls if c[0] == "install"]
    assert all("--no-deps" in c and "--no-cache-dir" in c for c in installs)
    assert json.loads((tmp_path / "record.json").read_text())["key"] == avx2.key


def test_lab_allows_root_only_for_root():
    from lessons_lib.lab import jupyter_command

    assert "--allow-root" in jupyter_command(is_root=True)
    assert "--allow-root" not in jupyter_command(is_root=False)


@pytest.mark.slow  # starts JupyterLab
def test_lab_command_opens_jupyterlab(tmp_path: Path):
    """The command `make lab` runs (with --allow-root when this is root, as in CI) starts a JupyterLab."""
    import socket
    import time

    import httpx

    from lessons_lib.lab import jupyter_command

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = jupyter_command(tmp_path) + [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=t0ken",
        "--ServerApp.port_retries=0",
    ]
    log = tmp_path / "lab.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    lab = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/status?token=t0ken", timeout=2).status_code
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert status == 200, log.read_text()[-3000:]
    finally:
        lab.terminate()
        lab.wait(timeout=30)


def test_make_setup_passes_the_gpu_choice_to_the_installer(tmp_path: Path):
    root = Path(__file__).resolve().parents[1]
    for gpu, expected in (("cuda", "lessons_lib.install --gpu cuda"), ("", "lessons_lib.install")):
        done = subprocess.run(
            ["make", "-n", "-B", "setup", f"GPU={gpu}", f"VENV={tmp_path / 'venv'}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(line for line in done.stdout.splitlines() if "lessons_lib.install" in line)
        assert line.rstrip().endswith(expected), line

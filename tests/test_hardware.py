"""hardware: nvidia-smi parsing, detection on this machine, never raising without a GPU."""

import os
import stat
import sys
from typing import Any

from lessons_lib import hardware
from lessons_lib.hardware import GPU, Machine, detect, generation_threads, parse_nvidia_smi

MIB = 2**20
GIB = 2**30

SAMPLE = """NVIDIA GeForce RTX 3090, 24576, 23810
NVIDIA H100 80GB HBM3, 81559, 81008
"""


def test_parse_nvidia_smi_sample():
    gpus = parse_nvidia_smi(SAMPLE)
    assert gpus == (
        GPU("NVIDIA GeForce RTX 3090", "nvidia", 24576 * MIB, 23810 * MIB),
        GPU("NVIDIA H100 80GB HBM3", "nvidia", 81559 * MIB, 81008 * MIB),
    )


def test_parse_nvidia_smi_skips_junk():
    text = "\nWARNING: infoROM is corrupted at gpu 0000:01:00.0\nTesla T4, [N/A], [N/A]\nTesla T4, 15360, 15101\n"
    assert parse_nvidia_smi(text) == (GPU("Tesla T4", "nvidia", 15360 * MIB, 15101 * MIB),)
    assert parse_nvidia_smi("") == ()


def test_detect_on_this_machine():
    m = detect()
    assert m.cores_logical >= 1
    assert 1 <= m.cores_physical <= m.cores_logical
    assert m.ram_total > m.ram_available > 0
    assert m.swap_free >= 0
    assert m.memory_for_models == m.ram_available + m.swap_free
    assert m.cpu_name and m.os and m.arch
    for g in m.gpus:
        assert g.vendor in ("nvidia", "apple")
        assert g.memory_total >= g.memory_free >= 0


def _fake_nvidia_smi(tmp_path, monkeypatch, body: str) -> None:
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!{sys.executable}\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")


def test_detect_reads_nvidia_smi(tmp_path, monkeypatch):
    _fake_nvidia_smi(tmp_path, monkeypatch, f"import sys; sys.stdout.write({SAMPLE!r})")
    m = detect()
    assert [g.name for g in m.gpus] == ["NVIDIA GeForce RTX 3090", "NVIDIA H100 80GB HBM3"]
    assert m.gpus[1].memory_free == 81008 * MIB


def test_detect_survives_a_failing_nvidia_smi(tmp_path, monkeypatch):
    _fake_nvidia_smi(tmp_path, monkeypatch, "import sys; sys.stderr.write('NVIDIA-SMI has failed'); sys.exit(9)")
    monkeypatch.setattr(hardware, "_is_apple_silicon", lambda: False)
    assert detect().gpus == ()


def test_detect_survives_nvidia_smi_errors(monkeypatch):
    monkeypatch.setattr(hardware.shutil, "which", lambda name: "/usr/bin/nvidia-smi")

    def boom(*args, **kwargs):
        raise hardware.subprocess.TimeoutExpired(cmd="nvidia-smi", timeout=5)

    monkeypatch.setattr(hardware.subprocess, "run", boom)
    monkeypatch.setattr(hardware, "_is_apple_silicon", lambda: False)
    monkeypatch.setattr(hardware, "_cpu_name", lambda: "test cpu")
    assert detect().gpus == ()


def test_apple_silicon_gets_one_unified_gpu(monkeypatch):
    monkeypatch.setattr(hardware, "_nvidia_gpus", lambda: ())
    monkeypatch.setattr(hardware, "_is_apple_silicon", lambda: True)
    m = detect()
    assert len(m.gpus) == 1
    assert m.gpus[0].vendor == "apple"
    assert m.gpus[0].memory_total == m.ram_total
    assert "unified memory" in dict(m.summary_rows())["GPU 0"]


def _machine(**kw: Any) -> Machine:
    base: dict[str, Any] = dict(
        cpu_name="Test CPU",
        cores_physical=4,
        cores_logical=8,
        ram_total=16 * GIB,
        ram_available=12 * GIB,
        swap_free=2 * GIB,
        os="Linux 6.1",
        arch="x86_64",
        gpus=(),
    )
    base.update(kw)
    return Machine(**base)


def test_summary_rows():
    m = _machine(gpus=(GPU("NVIDIA GeForce RTX 3090", "nvidia", 24 * GIB, 23 * GIB),))
    rows = dict(m.summary_rows())
    assert rows["RAM"] == "16.0 GiB total, 12.0 GiB free"
    assert rows["Cores"] == "4 physical, 8 logical"
    assert rows["Memory for models (RAM free + swap free)"] == "14.0 GiB"
    assert rows["GPU 0"] == "NVIDIA GeForce RTX 3090 (nvidia): 24.0 GiB total, 23.0 GiB free"
    assert "none found" in dict(_machine().summary_rows())["GPU"]


def test_generation_threads_uses_physical_cores():
    assert generation_threads(_machine(cores_physical=6, cores_logical=12)) == 6
    assert generation_threads(_machine(cores_physical=0, cores_logical=1)) == 1
    assert generation_threads() >= 1

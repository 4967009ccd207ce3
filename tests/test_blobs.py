"""HEAD/POST /api/blobs/:digest on the embedded server (real HTTP, real files on disk)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest


@pytest.fixture(autouse=True)
def _remove_uploads(models_dir: Path):
    """Uploaded test bytes are no model: take them out of the shared store again."""
    blobs = models_dir / "blobs"
    before = set(blobs.iterdir()) if blobs.is_dir() else set()
    yield
    for path in set(blobs.iterdir()) - before:
        path.unlink()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_bad_digest_is_refused(server) -> None:
    for bad in ("sha256:xyz", "md5:" + "0" * 64, "sha256:" + "0" * 63, "sha256:" + "0" * 64 + "%0A"):
        head = httpx.head(f"{server.url}/api/blobs/{bad}")
        post = httpx.post(f"{server.url}/api/blobs/{bad}", content=b"x")
        assert head.status_code == 400, bad
        assert post.status_code == 400 and post.json() == {"error": "invalid digest format"}, bad


def test_upload_then_present(server, models_dir: Path) -> None:
    data = os.urandom(300_000)
    digest = _digest(data)
    assert httpx.head(f"{server.url}/api/blobs/{digest}").status_code == 404
    created = httpx.post(f"{server.url}/api/blobs/{digest}", content=data)
    assert created.status_code == 201
    stored = models_dir / "blobs" / digest.replace(":", "-")
    assert stored.read_bytes() == data
    # both spellings of the digest name the same blob; a second upload is a no-op
    assert httpx.head(f"{server.url}/api/blobs/{digest.replace(':', '-')}").status_code == 200
    assert httpx.post(f"{server.url}/api/blobs/{digest}", content=data).status_code == 200


def test_mismatch_keeps_nothing(server, models_dir: Path) -> None:
    data = os.urandom(50_000)
    claimed = _digest(b"something else")
    before = set((models_dir / "blobs").iterdir())
    answer = httpx.post(f"{server.url}/api/blobs/{claimed}", content=data)
    assert answer.status_code == 400
    assert answer.json()["error"] == f'digest mismatch, expected "{claimed}", got "{_digest(data)}"'
    assert set((models_dir / "blobs").iterdir()) == before  # no blob, no temporary file
    assert httpx.head(f"{server.url}/api/blobs/{claimed}").status_code == 404


def test_client_create_blob(client, models_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "payload.bin"
    path.write_bytes(os.urandom(70_000))
    digest = client.create_blob(path)
    assert digest == _digest(path.read_bytes())
    assert (models_dir / "blobs" / digest.replace(":", "-")).read_bytes() == path.read_bytes()

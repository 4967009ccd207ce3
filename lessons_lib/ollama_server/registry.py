"""`/api/pull`: Ollama's registry protocol, and `hf.co/{user}/{repo}[:{quant}]` from the Hugging Face hub.

Registry (Docker v2, as `ollama pull` speaks it):
    GET <registry>/v2/<namespace>/<model>/manifests/<tag>   the manifest (layers by digest)
    GET <registry>/v2/<namespace>/<model>/blobs/<digest>    each layer (redirects followed)

A layer downloads into `blobs/sha256-<hex>-partial`; a dropped connection is retried from where
it stopped (HTTP Range), and a pull that gives up keeps the partial file, so the next pull
resumes it. Each layer's sha256 is checked before it becomes a blob, and the manifest is written
last: a model appears in the list complete or not at all.

The registry of names without a host (`llama3.2`, `library/x`) is `WORKBOOK_REGISTRY`, default
Ollama's own; other hosts are used as named (`127.0.0.1:5000/library/x` with insecure=True is
plain HTTP, e.g. the course's mirror). Hugging Face goes through `huggingface_hub` (file list,
checksums, download URL, token); `HF_ENDPOINT` points it elsewhere, as huggingface_hub reads it.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import httpx

from ..llama import gguf_file
from ..names import DEFAULT_HOST, InvalidDigest, ModelName, normalize_digest, sha256_file
from .progress import Emit, line
from .protocol import ApiError
from .store import LAYER_MODEL, MANIFEST_MEDIA_TYPE, Store, config_for

REGISTRY_ENV = "WORKBOOK_REGISTRY"
DEFAULT_REGISTRY = "https://registry.ollama.ai"
HF_HOSTS = ("hf.co", "huggingface.co")
# Hugging Face's Ollama integration: Q4_K_M when the repo has it, else a sensible neighbour.
HF_DEFAULT_QUANTS = ("Q4_K_M", "Q4_K_S", "Q4_0", "Q5_K_M", "Q8_0", "Q6_K", "Q3_K_M", "Q2_K", "F16", "BF16")
RETRIES = 3
PROGRESS_EVERY_S = 0.06  # Ollama updates each layer's line about this often

# Learner-facing messages (Ollama's wording where Ollama has one), kept together for translation.
ERR_NAME = "invalid model name"
ERR_NO_MANIFEST = "pull model manifest: file does not exist"
ERR_UNREACHABLE = (
    "pull model manifest: cannot reach {url} ({reason}). Check the internet connection, or pull from a mirror"
)
ERR_MANIFEST_STATUS = "pull model manifest: {url} answered HTTP {status}"
ERR_BAD_MANIFEST = "pull model manifest: {url} did not send a valid manifest"
ERR_INSECURE = "insecure protocol http: pass insecure=True to pull over plain HTTP"
ERR_BLOB_STATUS = "pulling {short}: {url} answered HTTP {status}"
ERR_CONNECTION = (
    "pulling {short}: connection lost at {done} of {total} bytes after {tries} tries ({reason}). "
    "What arrived is kept: run the same pull again to resume"
)
ERR_DIGEST = "digest mismatch, file must be downloaded again: want {want}, got {got}"
ERR_SIZE = "pulling {short}: expected {total} bytes, received {got}; the download was discarded"
ERR_HF_NO_GGUF = "pull model manifest: {repo} has no GGUF files"
ERR_HF_NO_QUANT = "pull model manifest: {repo} has no {quant} GGUF file; available: {available}"
ERR_HF_DENIED = (
    "pull model manifest: {repo} is gated or private on Hugging Face: accept its terms on "
    "https://huggingface.co/{repo} and log in (`hf auth login`, or set HF_TOKEN), then pull again"
)
ERR_HF_SPLIT = "pull model manifest: {file} is split into parts, which the embedded server cannot import"


def registry_url(name: ModelName, insecure: bool, scheme: str | None = None) -> str:
    if name.host == DEFAULT_HOST:
        return os.environ.get(REGISTRY_ENV, DEFAULT_REGISTRY).rstrip("/")
    if scheme == "http" and not insecure:
        raise ApiError(400, ERR_INSECURE)
    return f"{'http' if insecure else 'https'}://{name.host}"


def is_hugging_face(name: ModelName) -> bool:
    return name.host.lower() in HF_HOSTS


def pull_model(store: Store, text: str, insecure: bool, emit: Emit) -> None:
    """Pull `text` into `store`, reporting Ollama's progress lines through `emit`."""
    name = ModelName.parse(text)  # the caller has validated it
    scheme = text.split("://", 1)[0].lower() if "://" in text else None
    with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0)) as http:
        if is_hugging_face(name):
            _pull_hf(store, name, http, emit)
        else:
            _pull_registry(store, name, registry_url(name, insecure, scheme), http, emit)


# -- Ollama registry ------------------------------------------------------------------------------
def _pull_registry(store: Store, name: ModelName, base: str, http: httpx.Client, emit: Emit) -> None:
    emit(line("pulling manifest"))
    url = f"{base}/v2/{name.namespace}/{name.model}/manifests/{name.tag}"
    try:
        answer = http.get(url, headers={"Accept": MANIFEST_MEDIA_TYPE})
    except httpx.TransportError as exc:
        raise ApiError(500, ERR_UNREACHABLE.format(url=url, reason=_reason(exc))) from None
    if answer.status_code == 404:
        raise ApiError(500, ERR_NO_MANIFEST)
    if answer.status_code != 200:
        raise ApiError(500, ERR_MANIFEST_STATUS.format(url=url, status=answer.status_code))
    raw = answer.content
    try:
        manifest = json.loads(raw)
        layers = [*manifest["layers"], manifest["config"]]
        wanted = [(normalize_digest(layer["digest"]), int(layer["size"])) for layer in layers]
    except (ValueError, KeyError, TypeError, InvalidDigest):
        raise ApiError(500, ERR_BAD_MANIFEST.format(url=url)) from None

    blob_base = f"{base}/v2/{name.namespace}/{name.model}/blobs"
    fetched = [digest for digest, size in wanted if _download(store, f"{blob_base}/{digest}", digest, size, http, emit)]
    emit(line("verifying sha256 digest"))
    failures = [error for digest in fetched if (error := _verify_and_keep(store, digest))]
    if failures:
        raise ApiError(500, failures[0])
    previous = store.find(name.full)
    emit(line("writing manifest"))
    store.write_manifest_bytes(name, raw)
    if previous is not None and {layer["digest"] for layer in previous.layers} - {d for d, _ in wanted}:
        emit(line("removing unused layers"))
        store.prune()
    emit(line("success"))


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _download(
    store: Store,
    url: str,
    digest: str,
    size: int,
    http: httpx.Client,
    emit: Emit,
    headers: dict[str, str] | None = None,
    denied: str | None = None,
) -> bool:
    """Bring one layer into its partial file; False when the blob is already present.

    `denied`: the message for HTTP 401/403 (a gated or private Hugging Face repo)."""
    short = f"pulling {digest[7:19]}"
    if store.has_blob(digest):
        emit(line(short, digest, size, size))  # a present layer is complete at once
        return False
    partial = store.partial_path(digest)
    partial.parent.mkdir(parents=True, exist_ok=True)
    done = partial.stat().st_size if partial.exists() else 0
    if done > size:  # not the file we want: start again
        partial.unlink()
        done = 0
    emit(line(short, digest, size, done))
    tries, last = 0, time.monotonic()
    while done < size:
        request_headers = dict(headers or {})
        if done:
            request_headers["Range"] = f"bytes={done}-"
        try:
            with http.stream("GET", url, headers=request_headers) as answer:
                if done and answer.status_code == 200:  # the server ignored Range: take it from the start
                    done = 0
                elif answer.status_code in (401, 403) and denied:
                    raise ApiError(500, denied)
                elif answer.status_code not in (200, 206):
                    raise ApiError(500, ERR_BLOB_STATUS.format(short=short, url=url, status=answer.status_code))
                with open(partial, "r+b" if done else "wb") as fh:
                    fh.seek(done)
                    fh.truncate()
                    for chunk in answer.iter_bytes():  # as it arrives: a cut keeps every byte received
                        fh.write(chunk)
                        done += len(chunk)
                        if time.monotonic() - last >= PROGRESS_EVERY_S:
                            fh.flush()
                            emit(line(short, digest, size, done))
                            last = time.monotonic()
            if done < size:  # the body ended early without an error from the transport
                raise httpx.RemoteProtocolError("the server closed the connection early")
        except httpx.TransportError as exc:
            tries += 1
            if tries > RETRIES:
                raise ApiError(
                    500, ERR_CONNECTION.format(short=short, done=done, total=size, tries=tries, reason=_reason(exc))
                ) from None
            time.sleep(0.2 * tries)
    emit(line(short, digest, size, done))
    return True


def _verify_and_keep(store: Store, digest: str) -> str | None:
    """Make a verified download a blob; otherwise delete it and return the error."""
    partial = store.partial_path(digest)
    got = sha256_file(partial)
    if got != digest:
        partial.unlink(missing_ok=True)  # resuming a wrong file would only repeat the error
        return ERR_DIGEST.format(want=digest, got=got)
    os.replace(partial, store.blob_path(digest))
    return None


# -- Hugging Face ---------------------------------------------------------------------------------
def choose_gguf(files: list[str], quant: str, repo: str) -> str:
    """The GGUF file a quant tag names, as Ollama's hf.co pulls choose it (case-insensitive)."""
    ggufs = [f for f in files if f.lower().endswith(".gguf") and "mmproj" not in f.lower()]
    if not ggufs:
        raise ApiError(500, ERR_HF_NO_GGUF.format(repo=repo))

    def matches(tag: str) -> list[str]:
        pattern = re.compile(rf"(^|[-._/]){re.escape(tag)}([-._]|$)", re.IGNORECASE)
        return [f for f in ggufs if pattern.search(f)]

    if quant.lower() == "latest":
        chosen = next((found[0] for tag in HF_DEFAULT_QUANTS if (found := matches(tag))), sorted(ggufs)[0])
    else:
        found = matches(quant)
        if not found:
            available = ", ".join(
                sorted(
                    {
                        m.group(0).strip("-._").upper()
                        for f in ggufs
                        if (m := re.search(r"[-._](I?Q\d\w*|BF16|F16|F32)(?=[-.])", f, re.I))
                    }
                )
            )
            raise ApiError(500, ERR_HF_NO_QUANT.format(repo=repo, quant=quant, available=available or "none"))
        chosen = sorted(found)[0]
    if re.search(r"-\d{5}-of-\d{5}\.gguf$", chosen):
        raise ApiError(500, ERR_HF_SPLIT.format(file=chosen))
    return chosen


def _pull_hf(store: Store, name: ModelName, http: httpx.Client, emit: Emit) -> None:
    from huggingface_hub import HfApi, hf_hub_url
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
    from huggingface_hub.utils import build_hf_headers

    endpoint = os.environ.get("HF_ENDPOINT") or None
    repo = f"{name.namespace}/{name.model}"
    emit(line("pulling manifest"))
    try:
        info = HfApi(endpoint=endpoint).model_info(repo, files_metadata=True)
    except GatedRepoError:
        raise ApiError(500, ERR_HF_DENIED.format(repo=repo)) from None
    except RepositoryNotFoundError:
        raise ApiError(500, ERR_NO_MANIFEST) from None
    except (HfHubHTTPError, httpx.TransportError, OSError) as exc:
        raise ApiError(500, ERR_UNREACHABLE.format(url=endpoint or "huggingface.co", reason=_reason(exc))) from None
    siblings = {s.rfilename: s for s in info.siblings or []}
    filename = choose_gguf(list(siblings), name.tag, repo)
    sibling = siblings[filename]
    if sibling.lfs is None or not sibling.lfs.sha256:
        raise ApiError(500, ERR_BAD_MANIFEST.format(url=f"{repo}/{filename}"))
    digest, size = "sha256:" + sibling.lfs.sha256, int(sibling.lfs.size)
    url = hf_hub_url(repo, filename, revision=info.sha, endpoint=endpoint)
    fetched = _download(
        store, url, digest, size, http, emit, headers=build_hf_headers(), denied=ERR_HF_DENIED.format(repo=repo)
    )
    emit(line("verifying sha256 digest"))
    if fetched and (error := _verify_and_keep(store, digest)):
        raise ApiError(500, error)
    model = gguf_file.read(store.blob_path(digest))
    layers = [store.layer_for(digest, LAYER_MODEL)]
    emit(line("writing manifest"))
    store.write_manifest(name, layers, config_for(model, [digest]))
    emit(line("success"))


def partial_files(store: Store) -> list[Path]:
    """Downloads that stopped part way (what the next pull of the same model resumes)."""
    return sorted(store.blobs.glob("sha256-*-partial")) if store.blobs.is_dir() else []

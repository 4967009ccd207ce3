"""llama.cpp wrappers, the ground floor (nothing here imports from a layer above).

How llama.cpp is built for this CPU (`build`, `cpu_code`) and proof that the build runs (`smoke`);
GGUF headers (`gguf_file`), llama.cpp's log (`log`) and its quantizer (`quantize`), which both the
embedded server and the quantization lab use.
"""

"""llama.cpp and its file format, wrapped for the rest of the course (ground floor: imports nothing above it).

`gguf_file` reads GGUF headers, `log` captures llama.cpp's log, `quantize` runs llama.cpp's quantizer.
Both the embedded server and the quantization lab build on these.
"""

"""llama.cpp wrappers, the ground floor: how it is built, and proof that the build runs."""

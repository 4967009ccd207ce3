"""Will it fit: the memory verdicts and the advice when a model does not fit (lessons_lib.memory).

Ollama's own error ("model requires more system memory ...") stays in English, as Ollama prints it.
"""

EN: dict[str, str] = {
    "fix": (
        "Try a lower-bit quantization (each step of F16, Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q3_K_M, Q2_K is smaller "
        "and less accurate), a smaller model, a smaller num_ctx, or close other programs to free memory."
    ),
    "fix_from": (
        "This file is {quant} already; lower-bit choices are {lower} (smaller, and less accurate). Or use a smaller "
        "model, a smaller num_ctx, or close other programs to free memory."
    ),
    "fix_smallest": (
        "This file is {quant}, already the smallest common quantization: use a smaller model, a smaller num_ctx, "
        "or a machine with more memory."
    ),
    "or": " or ",
    "fits_gpu": "fits on the GPU: needs {required}, {gpu} has {free} free",
    "fits_cpu_gpu": (
        "fits split between GPU and CPU: needs {required}, {gpu} has {free} free and RAM + swap "
        "has {ram} available; layers that do not fit on the GPU run on the CPU (slower)"
    ),
    "fits_cpu": "fits in RAM and runs on the CPU: needs {required}, {available} available",
    "swap_warning": " (only with swap: expect it to be very slow)",
}

PL: dict[str, str] = {
    "fix": (
        "Wybierz kwantyzację o mniejszej liczbie bitów (każdy krok z F16, Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q3_K_M, Q2_K "
        "to mniejszy plik i nieco gorsza jakość), mniejszy model, mniejsze num_ctx albo zamknij inne programy, "
        "żeby zwolnić pamięć."
    ),
    "fix_from": (
        "Ten plik ma już kwantyzację {quant}; mniejsze są {lower} (mniejszy plik, nieco gorsza jakość). Możesz też "
        "wybrać mniejszy model, mniejsze num_ctx albo zamknąć inne programy, żeby zwolnić pamięć."
    ),
    "fix_smallest": (
        "Ten plik ma kwantyzację {quant}, najmniejszą z popularnych: wybierz mniejszy model, mniejsze num_ctx "
        "albo maszynę z większą pamięcią."
    ),
    "or": " lub ",
    "fits_gpu": "mieści się w pamięci VRAM: potrzeba {required}, {gpu} ma wolne {free}",
    "fits_cpu_gpu": (
        "mieści się częściowo na GPU, częściowo na CPU: potrzeba {required}, {gpu} ma wolne {free}, a RAM ze swapem "
        "{ram}; warstwy, które nie zmieszczą się w VRAM, liczy procesor (wolniej)"
    ),
    "fits_cpu": "mieści się w pamięci RAM i działa na procesorze: potrzeba {required}, dostępne {available}",
    "swap_warning": " (tylko ze swapem: będzie bardzo wolno)",
}

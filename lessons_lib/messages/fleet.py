"""A fleet of pods for one job (lessons_lib.cloud.fleet.PodFleet, lesson 05); why a pod ended: the pod room."""

EN: dict[str, str] = {
    "ready": "{ready} of {count} pods ready: {urls}",
    "start_failed": "Pod {n} of {count} could not start ({error}): ending the fleet's other pods.",
    "end_failed": "{failed} of {count} pods could not be ended: run cloud.cleanup(), or end them in the RunPod console.",
    "reason_end": "end of the fleet",
    "err_count": "count must be a whole number of pods from 1 to {most}, not {count!r}",
    "err_not_started": "The fleet has no running pods: call start() (or use `with PodFleet(...)`) first.",
}

PL: dict[str, str] = {
    "ready": "Gotowe pody: {ready} z {count}: {urls}",
    "start_failed": "Pod {n} z {count} nie wystartował ({error}): kończę pozostałe pody floty.",
    "end_failed": (
        "Nie udało się zakończyć {failed} z {count} podów: uruchom cloud.cleanup() albo zakończ je w konsoli RunPod."
    ),
    "reason_end": "koniec floty",
    "err_count": "count musi być całkowitą liczbą podów od 1 do {most}, a nie {count!r}",
    "err_not_started": "Flota nie ma uruchomionych podów: najpierw wywołaj start() (albo użyj `with PodFleet(...)`).",
}

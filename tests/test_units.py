"""Formatting must match Ollama's format/bytes.go and format/time.go exactly."""

from datetime import datetime, timedelta, timezone

import pytest

from lessons_lib.units import gib, human_bytes, relative_time


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        # the cases of ollama/ollama format/bytes_test.go TestHumanBytes
        (0, "0 B"),
        (1, "1 B"),
        (999, "999 B"),
        (1000, "1 KB"),
        (1500, "1.5 KB"),
        (999_999, "999 KB"),
        (1_000_000, "1 MB"),
        (1_500_000, "1.5 MB"),
        (999_999_999, "999 MB"),
        (1_000_000_000, "1 GB"),
        (1_500_000_000, "1.5 GB"),
        (999_999_999_999, "999 GB"),
        (1_000_000_000_000, "1 TB"),
        (1_500_000_000_000, "1.5 TB"),
        (1_999_999_999_999, "2.0 TB"),
        (1234, "1.2 KB"),
        (1_234_567, "1.2 MB"),
        (1_234_567_890, "1.2 GB"),
        # sizes learners see in `ollama list`
        (98_362_432, "98 MB"),  # the bundled SmolLM2 Q4_1
        (270_885_952, "270 MB"),  # smollm2:135m from the Ollama library
        (271_000_000, "271 MB"),
        (4_661_211_424, "4.7 GB"),  # llama3:8b
        (4_920_738_944, "4.9 GB"),  # llama3.1:8b
        (2_019_377_376, "2.0 GB"),  # llama3.2:3b
        (43_000_000_000, "43 GB"),
        (10_500, "10 KB"),  # at 10 and above Ollama drops the decimal
    ],
)
def test_human_bytes(n, expected):
    assert human_bytes(n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        # format/bytes_test.go TestHumanBytes2
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (1_048_575, "1024.0 KiB"),
        (1_048_576, "1.0 MiB"),
        (1_572_864, "1.5 MiB"),
        (1_073_741_823, "1024.0 MiB"),
        (1_073_741_824, "1.0 GiB"),
        (1_610_612_736, "1.5 GiB"),
        (2_147_483_648, "2.0 GiB"),
        (512 * 2**20, "512.0 MiB"),
        (int(5.3 * 2**30), "5.3 GiB"),
    ],
)
def test_gib(n, expected):
    assert gib(n) == expected


NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("seconds_ago", "expected"),
    [
        (0, "Less than a second ago"),
        (0.8, "Less than a second ago"),
        (1, "1 second ago"),
        (45, "45 seconds ago"),
        (60, "About a minute ago"),
        (119, "About a minute ago"),
        (120, "2 minutes ago"),
        (59 * 60, "59 minutes ago"),
        (3600, "About an hour ago"),
        (5399, "About an hour ago"),  # hours are rounded: 1.4997 -> 1
        (5400, "2 hours ago"),  # 1.5 rounds half away from zero, like Go's math.Round
        (47 * 3600, "47 hours ago"),
        (2 * 86400, "2 days ago"),
        (13 * 86400, "13 days ago"),
        (3 * 7 * 86400, "3 weeks ago"),
        (90 * 86400, "3 months ago"),
        (3 * 365 * 86400, "3 years ago"),
    ],
)
def test_relative_time_past(seconds_ago, expected):
    assert relative_time(NOW - timedelta(seconds=seconds_ago), NOW) == expected


def test_relative_time_future_forever_and_zero():
    assert relative_time(NOW + timedelta(hours=48), NOW) == "2 days from now"
    assert relative_time(NOW + timedelta(milliseconds=800), NOW) == "Less than a second from now"
    assert relative_time(NOW + timedelta(days=365 * 200), NOW) == "Forever"
    assert relative_time(datetime(1, 1, 1), NOW) == "Never"


def test_relative_time_mixes_naive_and_aware():
    local_now = datetime.now()
    assert relative_time(local_now - timedelta(days=2)) == "2 days ago"
    assert relative_time(NOW.astimezone(timezone(timedelta(hours=2))) - timedelta(minutes=5), NOW) == "5 minutes ago"

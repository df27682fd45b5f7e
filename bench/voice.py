"""Recordings budget: normalising a 60-second recording, and the stored size per minute.

    python bench/voice.py [--runs 5] [--seconds 60]

Budgets (issue 22): normalising a 60-second recording takes under 2 s on this
machine; a stored recording costs under 250 KB per minute. The recordings are
TEST DATA: Spanish read by espeak-ng (a synthetic voice, Debian's `espeak-ng`;
never Awajún, never presented as a person's voice), repeated to the length
asked, in the two forms a volunteer sends: what Chromium's MediaRecorder makes
(WebM with Opus, 48 kHz) and a phone recorder's WAV (44.1 kHz stereo); and a
440 Hz tone (FFmpeg's lavfi) for a machine without espeak-ng. Each goes through
the app's own `voice.media.normalise`, as an upload does. Figures are medians
of --runs runs: the wall-clock time (the budget's measure; on a machine shared
with other work it grows with the load average, printed first) and the CPU time
of the FFmpeg processes (what the work costs, whatever else runs).
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workshops.voice import media  # noqa: E402

BUDGET_SECONDS = 2.0
BUDGET_KB_PER_MINUTE = 250
TEXT = (
    "Datos de prueba, voz sintética. El vivero de café se hace cerca del agua y a la sombra. "
    "Las semillas se escogen de las mejores plantas. Se riega por la mañana y por la tarde. "
    "Cuando las plantas tienen cuatro pares de hojas, se llevan al campo."
)


def ffmpeg(*arguments):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *arguments], check=True, timeout=120)


def make_inputs(folder, seconds):
    """Return {name: bytes} of the test recordings, each `seconds` long."""
    tone = folder / "tone.wav"
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-ac", "2", "-ar", "44100", str(tone)
    )
    inputs = {"tone, WAV 44.1 kHz stereo": tone}
    if shutil.which("espeak-ng"):
        spoken = folder / "spoken.wav"
        subprocess.run(["espeak-ng", "-v", "es", "-w", str(spoken), TEXT], check=True, timeout=60)
        long_wav = folder / "speech.wav"
        ffmpeg(
            "-stream_loop",
            "-1",
            "-i",
            str(spoken),
            "-t",
            str(seconds),
            "-ac",
            "2",
            "-ar",
            "44100",
            str(long_wav),
        )
        webm = folder / "speech.webm"
        ffmpeg("-i", str(long_wav), "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "64k", str(webm))
        inputs = {
            "speech (espeak-ng, test data), WebM as MediaRecorder makes": webm,
            "speech (espeak-ng, test data), WAV 44.1 kHz stereo": long_wav,
            **inputs,
        }
    else:
        print("espeak-ng is not installed: measuring the tone only (apt-get install espeak-ng)")
    return {name: path.read_bytes() for name, path in inputs.items()}


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(data, seconds, runs):
    """Return (median wall time, median CPU time of the FFmpeg processes, KB per minute, stored bytes)."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        started, cpu_before = time.perf_counter(), _children_cpu()
        result = media.normalise(data, max(180, seconds + 5), 50 * 1024 * 1024)
        times.append(time.perf_counter() - started)
        cpu.append(_children_cpu() - cpu_before)
    assert result is not None
    kb_per_minute = len(result.data) / 1024 / (result.duration_ms / 60_000)
    return statistics.median(times), statistics.median(cpu), kb_per_minute, len(result.data)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=60)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        inputs = make_inputs(Path(folder), options.seconds)
        load = os.getloadavg()[0]
        print(f"normalising a {options.seconds}-second recording, median of {options.runs} runs")
        print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (wall time grows with the load)")
        print(f"{'input':<62} {'wall (budget)':>14} {'CPU':>7} {'KB/min (budget)':>16}  stored")
        worst_time = worst_size = 0.0
        for name, data in inputs.items():
            seconds, cpu, kb_per_minute, size = measure(data, options.seconds, options.runs)
            worst_time, worst_size = max(worst_time, seconds), max(worst_size, kb_per_minute)
            print(
                f"{name:<62} {seconds:>5.2f} s ({BUDGET_SECONDS:.0f} s) {cpu:>5.2f} s "
                f"{kb_per_minute:>6.0f} ({BUDGET_KB_PER_MINUTE})  {size / 1024:.0f} KB"
            )
    time_verdict = "within" if worst_time < BUDGET_SECONDS else "OVER"
    size_verdict = "within" if worst_size < BUDGET_KB_PER_MINUTE else "OVER"
    print(f"slowest {worst_time:.2f} s: {time_verdict} the budget of {BUDGET_SECONDS:.0f} s")
    print(f"largest {worst_size:.0f} KB/min: {size_verdict} the budget of {BUDGET_KB_PER_MINUTE} KB/min")


if __name__ == "__main__":
    main()

"""Recordings budget: normalising a 60-second recording, and the stored size per minute.

    python bench/voice.py [--runs 5] [--seconds 60]

Budgets (issue 22): normalising a 60-second recording takes under 2 s on this
machine; a stored recording costs under 250 KB per minute; a module page with
80 recordings adds nothing to its first load until one is played (every player
is preload="none": the figure is the audio fetched with the page, 0, and the
HTML the 80 players add). The recordings are
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


def module_page(take, count=80):
    """Return (HTML bytes with none, with `count` approved takes, players, players without preload="none")."""
    import re

    import sqlalchemy as sa

    from workshops import create_app
    from workshops.auth import services as auth_services
    from workshops.catalog.recordings import Recording
    from workshops.core.models import AppState
    from workshops.curriculum.models import Module, Segment
    from workshops.extensions import db
    from workshops.voice import services

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "INSTANCE_PATH": folder,
                "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
                or f"sqlite:///{folder}/bench.sqlite",
                "WTF_CSRF_ENABLED": False,
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            }
        )
        with app.app_context():
            auth_services.create_user("facilitadora", "Facilitadora", "bench-password-2026", ("facilitator",))
            db.session.merge(AppState(key="setup_done", value="1"))
            slug = db.session.scalar(
                sa.select(Module.slug)
                .join(Segment)
                .group_by(Module.slug)
                .order_by(sa.func.count().desc())
                .limit(1)
            )
            uids = db.session.scalars(
                sa.select(Segment.uid)
                .join(Segment.module)
                .where(Module.slug == slug)
                .order_by(Segment.position)
            ).all()[:count]
            db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "facilitadora", "password": "bench-password-2026"})
        without = client.get(f"/modules/{slug}").data
        with app.app_context():
            for uid in uids:
                stored = services.save_take(services.source_of(uid), "agr", take, None)
                services.review(stored, None, True)
            db.session.commit()
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Recording)) == len(uids)
        page = client.get(f"/modules/{slug}").data.decode()
        players = re.findall(r"<audio [^>]*>", page)
        eager = [player for player in players if 'preload="none"' not in player]
        return len(without), len(page.encode()), len(players), len(eager)


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
        without, with_players, players, eager = module_page(media.normalise(data, 180, 50 * 1024 * 1024))
    print(
        f"module page with {players} approved recordings: {eager} players load audio before being played "
        f"(budget 0), so 0 KB of audio with the page; the players add {(with_players - without) / 1024:.1f} KB "
        f"of HTML ({without / 1024:.0f} -> {with_players / 1024:.0f} KB, before compression)"
    )
    time_verdict = "within" if worst_time < BUDGET_SECONDS else "OVER"
    size_verdict = "within" if worst_size < BUDGET_KB_PER_MINUTE else "OVER"
    print(f"slowest {worst_time:.2f} s: {time_verdict} the budget of {BUDGET_SECONDS:.0f} s")
    print(f"largest {worst_size:.0f} KB/min: {size_verdict} the budget of {BUDGET_KB_PER_MINUTE} KB/min")


if __name__ == "__main__":
    main()

"""Check and normalise a recording with FFmpeg: what is stored is one small, even format.

FFmpeg from Debian (`apt-get install ffmpeg`), run as a subprocess, rather than
PyAV: Debian's build is maintained with security updates by the distribution,
while PyAV's wheels bundle their own FFmpeg with its codecs (tens of MB per
platform, updated only with a new PyAV release); the EBU R128 filters (ebur128, loudnorm:
loudness) and libopus are in the Debian build; and a subprocess can be given
a time limit and cannot take the app process down with a crash in a decoder.
The price, starting a process per step, is a few milliseconds.

Every upload and browser recording goes through `normalise()`:

1. `ffprobe` must read it as one of the containers a phone or browser makes
   (`-format_whitelist`: no playlists or other formats that open further files),
   with an audio stream and no picture stream (a renamed video is refused; a
   cover image of an MP3 is not a video);
2. `ffmpeg` decodes it once to measure it (a decoding error means a damaged
   file: refused), cut one second past the length limit (a file whose header
   hides its length, as MediaRecorder's do, is measured by decoding it): its
   loudness (EBU R128 integrated, the ebur128 filter) and its peak
   (volumedetect; a silent recording is kept with a warning);
3. `ffmpeg` decodes it again, applies the gain that brings it to -16 LUFS (so
   that segments play at one level; a limiter keeps the peaks under -1.5 dBFS)
   and encodes mono Opus at 24 kbit/s in Ogg, which every phone browser plays
   and which costs about 180 KB a minute (sound up to 12 kHz, all that speech
   needs; encoder complexity 5 of 10, half the time of 10 for the same size). Measuring first and applying one gain
   is EBU R128 normalisation as loudnorm's "linear" mode does it, at a fifth of
   the cost of loudnorm's single pass (which resamples to 192 kHz to follow
   the loudness as it goes): bench/voice.py.

A refusal raises MediaRefused with a code that the view turns into a sentence in
the user's language; nothing is stored then.
"""

import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"
# Containers accepted: what browsers (WebM, Ogg, MP4), phones (M4A, 3GP, AMR) and recorders
# (WAV, MP3, FLAC, AAC) write. A demuxer name lists its aliases ("mov,mp4,m4a,3gp,3g2,mj2").
CONTAINERS = "ogg,matroska,webm,mov,mp4,m4a,3gp,mp3,wav,flac,aac,amr,amrnb,amrwb"
BITRATE = "24k"
TARGET_LUFS = -16.0  # loudness every recording is brought to (EBU R128 integrated; spoken word on phones)
PEAK_LIMIT = 0.84  # -1.5 dBFS: the limiter's ceiling after the gain
MAX_GAIN_DB = 30.0  # a very quiet recording is raised this much at most (beyond it: noise)
SILENT_LUFS = -70.0  # ebur128's floor: nothing above its gate
PROBE_SECONDS = 20  # time limit of ffprobe
ENCODE_SECONDS = 60  # time limit of each ffmpeg run (a 3-minute recording takes about 2 s)
SILENT_DB = -50.0  # a recording whose loudest moment is quieter than this is silent
REFUSALS = ("empty", "too_large", "unreadable", "no_audio", "video", "too_long", "damaged", "too_slow")


class MediaRefused(Exception):
    """The file cannot be taken; `code` is one of REFUSALS, `limit` the limit it broke, if any."""

    def __init__(self, code: str, limit: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.limit = limit


@dataclass(frozen=True)
class Normalised:
    """A recording ready to store: Ogg Opus bytes, its length and whether it sounded silent."""

    data: bytes
    duration_ms: int
    silent: bool


def _run(arguments: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 (fixed program, arguments built here)
            arguments, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise MediaRefused("too_slow") from None


def probe(path: Path) -> dict[str, Any]:
    """Return ffprobe's streams and format of a file; refuse one that is not audio it can read."""
    result = _run(
        [
            FFPROBE,
            "-v",
            "error",
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
            CONTAINERS,
            "-show_entries",
            "stream=codec_type,codec_name:stream_disposition=attached_pic:format=format_name,duration",
            "-of",
            "json",
            str(path),
        ],
        PROBE_SECONDS,
    )
    if result.returncode != 0:
        raise MediaRefused("unreadable")
    found: dict[str, Any] = json.loads(result.stdout or "{}")
    kinds = [
        "cover" if (stream.get("disposition") or {}).get("attached_pic") else stream.get("codec_type")
        for stream in found.get("streams") or []
    ]
    if "video" in kinds:
        raise MediaRefused("video")
    if "audio" not in kinds:
        raise MediaRefused("no_audio")
    return found


def _ffmpeg(source: Path, max_seconds: int, *output: str) -> str:
    """Run FFmpeg on the first audio stream of a file, cut one second past the limit; return its log.

    The log has one level tag per line ("[error]"): a decoding error means a damaged file.
    """
    result = _run(
        [
            FFMPEG,
            "-nostdin",
            "-hide_banner",
            "-nostats",
            "-loglevel",
            "level+info",
            "-protocol_whitelist",
            "file",
            "-format_whitelist",
            CONTAINERS,
            "-i",
            str(source),
            "-map",
            "0:a:0",
            "-vn",
            "-sn",
            "-dn",
            "-map_metadata",
            "-1",
            "-t",
            str(max_seconds + 1),
            *output,
        ],
        ENCODE_SECONDS,
    )
    log = result.stderr
    if result.returncode != 0 or re.search(r"\[(error|fatal|panic)\]", log):
        raise MediaRefused("damaged")
    return log


def _measure(source: Path, max_seconds: int) -> tuple[float, float]:
    """Decode a file once and return its integrated loudness (LUFS, EBU R128) and its peak (dBFS)."""
    log = _ffmpeg(source, max_seconds, "-af", "ebur128=framelog=verbose,volumedetect", "-f", "null", "-")
    loudness = re.findall(r"^\s*I:\s+(-?[\d.]+) LUFS", log, re.MULTILINE)
    peak = re.search(r"max_volume: (-?inf|-?[\d.]+) dB", log)
    return (
        float(loudness[-1]) if loudness else SILENT_LUFS,
        float(peak.group(1)) if peak and not peak.group(1).endswith("inf") else -200.0,
    )


def _gain(loudness: float, peak: float) -> float | None:
    """Return the gain in dB that brings a recording to TARGET_LUFS, or None for a silent one."""
    if peak < SILENT_DB or loudness <= SILENT_LUFS:
        return None
    return min(TARGET_LUFS - loudness, MAX_GAIN_DB)


def _encode(source: Path, target: Path, max_seconds: int, gain: float) -> None:
    """Apply the gain (a limiter keeps the peaks under -1.5 dBFS) and encode mono Opus in Ogg."""
    _ffmpeg(
        source,
        max_seconds,
        "-af",
        f"aresample=24000,volume={gain:.2f}dB,alimiter=limit={PEAK_LIMIT}:level=disabled",
        "-ac",
        "1",
        "-c:a",
        "libopus",
        "-b:a",
        BITRATE,
        "-vbr",
        "constrained",
        "-application",
        "voip",
        "-compression_level",
        "5",
        "-f",
        "ogg",
        str(target),
    )


def _duration_ms(path: Path) -> int:
    result = _run(
        [FFPROBE, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        PROBE_SECONDS,
    )
    try:
        return round(float(result.stdout.strip()) * 1000)
    except ValueError:
        return 0


def normalise(data: bytes, max_seconds: int, max_bytes: int) -> Normalised:
    """Check an uploaded or recorded file and return it as mono Opus in Ogg, loudness evened.

    Raises MediaRefused (nothing stored) when it is empty, too large, not audio
    FFmpeg reads, a video, damaged, longer than max_seconds, or too slow to decode.
    """
    if not data:
        raise MediaRefused("empty")
    if len(data) > max_bytes:
        raise MediaRefused("too_large", limit=max_bytes)
    with tempfile.TemporaryDirectory(prefix="workshops-voice-") as folder:
        source, target = Path(folder) / "upload", Path(folder) / "recording.ogg"
        source.write_bytes(data)
        probe(source)
        gain = _gain(*_measure(source, max_seconds))
        _encode(source, target, max_seconds, 0.0 if gain is None else gain)
        duration_ms = _duration_ms(target) if target.exists() else 0
        if duration_ms <= 0:
            raise MediaRefused("no_audio")
        if duration_ms > max_seconds * 1000:
            raise MediaRefused("too_long", limit=max_seconds)
        return Normalised(target.read_bytes(), duration_ms, silent=gain is None)

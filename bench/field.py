"""Field mode budget: script weight, one session's pack, and the sync of 500 queued records.

    python bench/field.py [--runs 5]

Uses a throwaway SQLite database (or the empty database DATABASE_URL names) with
one community of 125 households (500 persons). Budgets (issue "Offline field
mode"): service worker and app script under 40 KB; a pack for one session
(module, key terms, handout and facilitator guide with their PDFs, in two
languages, and the attendance sheet with its PDF) under 500 KB; 500 records synced in under
2 s of server time.

With recordings (the default; --no-recordings to skip): every text of the module (segments and
key terms) gets an approved Spanish take of TEST DATA, the text read by espeak-ng (a synthetic
voice; no Awajún is synthesised) and normalised as an upload is (voice/media.py). The pack's
recordings are reported apart (count and size per module, as the field page shows them): they
are a pack's heaviest part, and not in the 500 KB budget of its pages.
"""

import argparse
import html
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from workshops import create_app  # noqa: E402
from workshops.attendance.models import AttendanceRecord, WorkshopSession  # noqa: E402
from workshops.core.clock import program_today  # noqa: E402
from workshops.curriculum.models import Module  # noqa: E402
from workshops.extensions import db  # noqa: E402
from workshops.people import services as people  # noqa: E402
from workshops.people.models import Community  # noqa: E402

STATIC = Path(__file__).resolve().parent.parent / "workshops" / "static" / "js"


def build():
    community = Community(name="Comunidad Banco", code="BNC")
    db.session.add(community)
    db.session.flush()
    persons = []
    for n in range(125):
        household = people.create_household(community, "", None)
        for k in range(4):
            persons.append(
                people.add_person(
                    household,
                    {"given_names": f"Persona{n}-{k}", "family_names": "Banco", "sex": "female"},
                    None,
                ).id
            )
    module = db.session.scalar(sa.select(Module).where(Module.number == 4))
    sessions = []
    for offset in range(6):  # one session per run, so each sync writes 500 new records
        # Today and the days before: attendance for a later day is refused.
        session = WorkshopSession(
            module_id=module.id, community_id=community.id, date=program_today() - timedelta(days=offset)
        )
        db.session.add(session)
        db.session.flush()
        sessions.append(session.id)
    db.session.commit()
    return sessions, persons


def record_module(number):
    """Store an approved Spanish take of every text of a module, spoken by espeak-ng (TEST DATA)."""
    from workshops.curriculum.recordable import module_texts
    from workshops.curriculum.services import get_module
    from workshops.voice import media
    from workshops.voice import services as voice

    slug = db.session.scalar(sa.select(Module.slug).where(Module.number == number))
    texts = module_texts(get_module(slug))
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as folder:
        wav = Path(folder) / "spoken.wav"
        for context, text in texts.items():
            subprocess.run(["espeak-ng", "-v", "es", "-w", str(wav), text], check=True, timeout=60)
            audio = media.normalise(wav.read_bytes(), 180, 10 * 2**20)
            take = voice.save_take(voice.source_of(context), "es", audio, None)
            db.session.flush()
            voice.review(take, None, True)
            seconds += audio.duration_ms / 1000
    db.session.commit()
    return len(texts), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-recordings", action="store_true", help="leave the module unrecorded")
    args = parser.parse_args()
    scripts = {name: (STATIC / name).stat().st_size for name in ("field.js", "sw.js")}
    print(
        f"scripts: field.js {scripts['field.js'] / 1024:.1f} KB + sw.js {scripts['sw.js'] / 1024:.1f} KB = "
        f"{sum(scripts.values()) / 1024:.1f} KB uncompressed (budget 40 KB)"
    )
    instance = tempfile.mkdtemp(prefix="bench-")
    config = {"INSTANCE_PATH": instance, "WTF_CSRF_ENABLED": False}
    if not os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance}/bench.sqlite"
    app = create_app(config)
    with app.app_context():
        sessions, persons = build()
        spoken = None if args.no_recordings else record_module(4)
    client = app.test_client()
    client.post(
        "/setup",
        data={"username": "bench", "display_name": "Bench", "password": "x" * 12, "confirm": "x" * 12},
    )
    pack = client.get(f"/api/field/pack?session={sessions[0]}&lang=agr&lang=es")
    body = pack.get_json()
    sizes = {"pack data (roster of 500)": len(pack.data)}
    personal = [url for session in body["sessions"] for url in session["personal_files"]]
    audio = {url for session in body["sessions"] for url in session["recordings"]}
    audio_bytes = 0
    for url in sorted(audio):
        response = client.get(url)
        assert response.status_code == 200, url
        audio_bytes += len(response.data)
        response.close()
    estimate = client.get(f"/api/field/estimate?session={sessions[0]}&lang=agr&lang=es").get_json()
    assert estimate["recording_bytes"] == audio_bytes, (estimate["recording_bytes"], audio_bytes)
    if spoken is not None:
        print(
            f"recordings in the pack: module 4, {len(audio)} approved takes ({spoken[0]} texts, "
            f"{spoken[1] / 60:.1f} min of espeak-ng Spanish test speech): {audio_bytes / 1024:.0f} KB "
            f"({audio_bytes / spoken[1] / 1024:.1f} KB per second); the field page's estimate agrees"
        )
        listed = re.search(
            r'<ul id="pack-recordings">(.*?)</ul>', client.get("/field/").get_data(as_text=True), re.S
        )
        shown = [
            " ".join(html.unescape(line).split()) for line in re.findall(r"<li>(.*?)</li>", listed[1], re.S)
        ]
        print(f"the field page shows, before the pack is taken: {'; '.join(shown)}")
    for url in [url for url in body["files"] if url not in audio] + personal:
        response = client.get(url)
        assert response.status_code == 200, url
        sizes[url] = len(response.data)
        response.close()
    total = sum(sizes.values())
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {size / 1024:7.1f} KB  {name}")
    print(
        f"field pack, one session, module, key terms, handout and guide (pages and PDFs) in two languages,"
        f" attendance sheet (page and PDF): {total / 1024:.0f} KB (budget 500 KB"
        f"{'' if total <= 500 * 1024 else '; ABOVE: the PDFs weigh most, see above'})"
    )
    times = []
    for run in range(min(args.runs, len(sessions) - 1)):
        records = [
            {
                "id": str(uuid.uuid4()),
                "session_id": sessions[run + 1],
                "person_id": person,
                "status": "present",
                "remark": "",
                "base_status": "",
                "entered_at": "2026-11-27T10:00:00Z",
            }
            for person in persons
        ]
        payload = json.dumps({"records": records})
        begin = time.perf_counter()
        response = client.post("/api/field/sync", data=payload, content_type="application/json")
        times.append(time.perf_counter() - begin)
        outcomes = {r["outcome"] for r in response.get_json()["results"]}
        assert outcomes == {"applied"}, outcomes
        begin = time.perf_counter()
        again = client.post("/api/field/sync", data=payload, content_type="application/json")
        repeat = time.perf_counter() - begin
        assert {r["outcome"] for r in again.get_json()["results"]} == {"already_applied"}
    with app.app_context():
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceRecord))
    print(
        f"sync of 500 records: median {statistics.median(times):.2f} s, max {max(times):.2f} s "
        f"(budget 2 s); the same 500 again: {repeat:.2f} s; {stored} records stored"
    )


if __name__ == "__main__":
    main()

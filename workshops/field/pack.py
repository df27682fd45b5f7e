"""Field packs: the sessions a facilitator takes offline, their rosters, and the files to keep."""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, TypedDict

from flask import url_for

from ..attendance import services as attendance
from ..attendance.models import OFF_STATES, WorkshopSession
from ..auth.models import User
from ..core.clock import program_today
from ..curriculum.models import Module
from ..curriculum.services import Playable, playable_recordings
from ..extensions import db, utcnow
from ..i18n import module_title

UPCOMING_DAYS = 60


# The pack, as JSON for the device (see openapi.yaml). It carries only the personal data the
# offline pages show: a person's name and household code, and the session's marks.
class PackedPerson(TypedDict):
    id: int
    name: str
    status: str
    remark: str


class PackedGroup(TypedDict):
    household: str
    persons: list[PackedPerson]


class PackedModule(TypedDict):
    number: int
    title: str


class PackedSession(TypedDict):
    id: int
    date: str
    community: str
    module: PackedModule
    revision: int
    roster: list[PackedGroup]
    files: list[str]
    personal_files: list[str]
    recordings: list[str]


class ModuleRecordings(TypedDict):
    """What a module's recordings add to a pack: how many, and their bytes."""

    number: int
    title: str
    count: int
    bytes: int


class Pack(TypedDict):
    taken_at: str
    user: str
    owner: int
    languages: Sequence[str]
    sessions: list[PackedSession]
    files: list[str]


def upcoming_sessions(user: User) -> Sequence[WorkshopSession]:
    """The sessions a user may take into the field: from a week ago to two months ahead, none cancelled."""
    today = program_today()
    return db.session.scalars(
        attendance.visible_sessions_query(user).where(
            WorkshopSession.date >= today - timedelta(days=7),
            WorkshopSession.date <= today + timedelta(days=UPCOMING_DAYS),
            WorkshopSession.status.not_in(OFF_STATES),
        )
    ).all()


def pack_files(module: Module, languages: Sequence[str]) -> list[str]:
    """The pages a pack caches for a module, in each language: page, key terms, handout and guide with PDFs.

    The PDF links are built with the same arguments in the same order as the page's own
    "Descargar PDF" link (materials.routes._context), so the cached page's link is in the cache.
    """
    files = []
    for code in languages:
        files.append(url_for("curriculum.module", slug=module.slug, lang=code))
        files.append(url_for("curriculum.terms", lang=code))
        for document in ("handout", "guide"):
            args: dict[str, Any] = {
                "document": document,
                "module": module.slug,
                "first": code,
                "layout": "side",
                "lang": code,
            }
            files.append(url_for("materials.view", **args))
            files.append(url_for("materials.pdf", **args))
    return files


def recording_files(takes: Iterable[Playable]) -> list[str]:
    """The audio of a module's approved recordings, at the URLs its page plays them from (every language)."""
    return [url_for("voice.audio", recording_id=take.id) for take in takes]


def recordings_by_module(modules: Iterable[Module]) -> list[ModuleRecordings]:
    """Count and measure the recordings each module adds to a pack, in module order, each module once."""
    distinct = sorted({module.id: module for module in modules}.values(), key=lambda module: module.number)
    playable = playable_recordings(distinct)
    return [
        {
            "number": module.number,
            "title": module_title(module),
            "count": len(playable[module.slug]),
            "bytes": sum(take.size for take in playable[module.slug]),
        }
        for module in distinct
    ]


def personal_files(session: WorkshopSession) -> list[str]:
    """The files of a session that name its people (the attendance sheet): kept per account, removed at sign-out."""
    return [
        url_for("sessions.sheet_view", session_id=session.id),
        url_for("sessions.sheet_pdf", session_id=session.id),
    ]


def shell_files() -> list[str]:
    """The field pages and files every pack needs."""
    return [
        url_for("field.index"),
        url_for("field.offline"),
        url_for("field.unavailable"),
        url_for("static", filename="css/app.css"),
        url_for("static", filename="css/print.css"),
        url_for("static", filename="js/field.js"),
        url_for("static", filename="js/entry.js"),
        url_for("static", filename="js/play.js"),
        url_for("static", filename="css/play.css"),
        url_for("field.manifest"),
    ]


def roster(session: WorkshopSession) -> list[PackedGroup]:
    """The session's roster with each person's current mark, as the offline page shows it."""
    stored = attendance.records_by_person(session)
    return [
        {
            "household": household.code if household else "",
            "persons": [
                {
                    "id": person.id,
                    "name": person.full_name,
                    "status": stored[person.id].status if person.id in stored else "",
                    "remark": stored[person.id].remark if person.id in stored else "",
                }
                for person in members
            ],
        }
        for household, members in attendance.roster(session)
    ]


def build_pack(sessions: Iterable[WorkshopSession], languages: Sequence[str], user: User) -> Pack:
    """Return the pack as plain data: sessions with rosters and current statuses, and files to cache."""
    packed: list[PackedSession] = []
    files: list[str] = []
    # Cancelled or postponed since it was listed: nothing to take to the field.
    sessions = [session for session in sessions if session.status not in OFF_STATES]
    playable = playable_recordings(list({session.module_id: session.module for session in sessions}.values()))
    for session in sessions:
        packed.append(
            {
                "id": session.id,
                "date": session.date.isoformat(),
                "community": session.community.name,
                "module": {"number": session.module.number, "title": module_title(session.module)},
                "revision": session.revision,
                "roster": roster(session),
                "files": pack_files(session.module, languages),
                "personal_files": personal_files(session),
                "recordings": recording_files(playable[session.module.slug]),
            }
        )
        for path in packed[-1]["files"] + packed[-1]["recordings"]:
            if path not in files:
                files.append(path)
    return {
        "taken_at": utcnow().isoformat(timespec="seconds"),
        "user": user.username,
        "owner": user.id,
        "languages": languages,
        "sessions": packed,
        "files": shell_files() + files,
    }


def estimate(sessions: Iterable[WorkshopSession], languages: Sequence[str]) -> dict[str, object]:
    """What a pack would hold, without its names: the files to measure, the rosters' and recordings' sizes in bytes."""
    files: list[str] = shell_files()
    roster_bytes = 0
    sessions = list(sessions)
    recordings = recordings_by_module(session.module for session in sessions)
    for session in sessions:
        for path in pack_files(session.module, languages) + personal_files(session):
            if path not in files:
                files.append(path)
        # About 90 bytes a person in the pack's JSON (id, name, household, mark).
        roster_bytes += 90 * sum(len(members) for _household, members in attendance.roster(session))
    # The recordings' sizes are known here: the device need not ask for each one.
    return {
        "files": files,
        "roster_bytes": roster_bytes,
        "recordings": sum(module["count"] for module in recordings),
        "recording_bytes": sum(module["bytes"] for module in recordings),
    }

"""The program's calendar: what day it is where the workshops happen."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

DEFAULT_TIMEZONE = "America/Lima"


def zone_named(name: object) -> ZoneInfo:
    """The zone of a PROGRAM_TIMEZONE value; a name the system does not know is a setup error."""
    try:
        return ZoneInfo(str(name or DEFAULT_TIMEZONE))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuntimeError(
            f"PROGRAM_TIMEZONE {name!r} is not a time zone name such as {DEFAULT_TIMEZONE!r}"
        ) from error


def program_timezone() -> ZoneInfo:
    return zone_named(current_app.config.get("PROGRAM_TIMEZONE"))


def program_today() -> date:
    """Today's date in the program's time zone (in Lima, 8 p.m. is still today, whatever the server's clock)."""
    return datetime.now(program_timezone()).date()


def program_time(moment: datetime) -> datetime:
    """A stored moment (UTC; SQLite gives it back without its zone) on the program's clock."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(program_timezone())

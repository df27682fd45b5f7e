"""Helpers several test modules share (fixtures live in conftest.py)."""

import uuid

from .conftest import TEST_PASSWORD


def login(client, username):
    """Sign a test client in through the login form (CSRF off in the app fixture)."""
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302


def record(session_id, person_id, status="present", **extra):
    """One attendance record as the field app sends it to the sync API."""
    return {
        "id": str(uuid.uuid4()),
        "session_id": session_id,
        "person_id": person_id,
        "status": status,
        "remark": "",
        "base_status": "",
        "entered_at": "2020-01-01T08:00:00Z",  # a wrong device clock: never the session's date
        **extra,
    }

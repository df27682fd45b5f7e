"""Helpers several test modules share (fixtures live in conftest.py)."""

import re
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


def confirm_merge(client, remove, keep):
    """Merge person `remove` into `keep` as a coordinator does: open the preview, then confirm it."""
    preview = client.get(f"/people/persons/{remove}/merge?keep={keep}")
    assert preview.status_code == 200
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', preview.get_data(as_text=True)).group(1)
    return client.post(f"/people/persons/{remove}/merge", data={"keep": keep, "seen": seen})

"""A translator records through Chromium's fake microphone, a reviewer approves, a facilitator plays it.

The microphone plays TEST DATA: a Spanish sentence read by espeak-ng (a
synthetic voice, labelled as such; no Awajún is synthesised), fed to Chromium
with its fake media flags.
"""

import subprocess

import pytest

from ..conftest import tool_required
from .conftest import CHROMIUM, CHROMIUM_ARGS
from .helpers import PASSWORD, login

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CONTEXT = "vivero-de-cafe.objectives.o1"
SENTENCE = "Datos de prueba, voz sintética. El vivero de café se hace a la sombra, cerca del agua."


@pytest.fixture(scope="module")
def fake_microphone(tmp_path_factory):
    """Return a WAV file of synthetic Spanish speech for Chromium's fake audio capture."""
    tool_required("espeak-ng")
    tool_required("ffmpeg")
    folder = tmp_path_factory.mktemp("microphone")
    spoken = folder / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "es", "-w", str(spoken), SENTENCE], check=True, timeout=60)
    wav = folder / "microphone.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(spoken),
            "-ar",
            "48000",
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
            str(wav),
        ],
        check=True,
        timeout=60,
    )
    return wav


@pytest.fixture
def microphone_browser(browser, fake_microphone):
    """Launch Debian's Chromium with a microphone that plays the test file, and no permission prompt.

    Through the session's Playwright (a second sync_playwright() in one process is refused).
    """
    tool_required(CHROMIUM)
    with_microphone = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={fake_microphone}",
            "--autoplay-policy=no-user-gesture-required",
        ],
    )
    yield with_microphone
    with_microphone.close()


def _duration(page, selector):
    """Load an <audio> element's metadata and return its duration in seconds (Infinity if unknown)."""
    return page.eval_on_selector(
        selector,
        """audio => new Promise((resolve, reject) => {
            if (audio.readyState >= 1 && isFinite(audio.duration)) { resolve(audio.duration); return; }
            audio.addEventListener("loadedmetadata", () => resolve(audio.duration), { once: true });
            audio.addEventListener("error", () => reject(new Error("audio error " + audio.error.code)), { once: true });
            audio.preload = "metadata";
            audio.load();
        })""",
    )


def _plays(page, selector):
    """Play an <audio> element and wait until it has played a moment of sound; return where it is."""
    return page.eval_on_selector(
        selector,
        """audio => new Promise((resolve, reject) => {
            audio.addEventListener("timeupdate", () => { if (audio.currentTime > 0.2) resolve(audio.currentTime); });
            audio.addEventListener("error", () => reject(new Error("audio error " + audio.error.code)), { once: true });
            audio.play().catch(reject);
        })""",
    )


def test_record_listen_save_approve_and_play(live_server, microphone_browser):
    base = live_server
    for username, role in (
        ("admin", "admin"),
        ("ana", "translator"),
        ("rosa", "reviewer"),
        ("fabio", "facilitator"),
    ):
        live_server.cli("create-user", username, "--role", role, "--password", PASSWORD)

    def person(username, width=1280):
        context = microphone_browser.new_context(locale="es-PE", viewport={"width": width, "height": 800})
        page = context.new_page()
        login(page, base, username)
        return page

    # Ana records through the microphone, listens back, records again and saves.
    ana = person("ana", width=360)
    ana.goto(f"{base}/recordings/agr/{CONTEXT}")
    recorder = ana.locator("#recorder")
    for _ in range(2):
        recorder.get_by_role("button", name="Grabar").first.click()
        ana.wait_for_timeout(2500)
        recorder.get_by_role("button", name="Detener").click()
        listen = recorder.locator("audio")
        listen.wait_for(state="visible")
        assert _duration(ana, "#recorder audio") > 0  # Infinity for a fresh WebM: it has no length header
        assert _plays(ana, "#recorder audio") > 0.2  # listening back
    recorder.get_by_role("button", name="Guardar la grabación").click()
    ana.wait_for_url(f"**/recordings/agr/{CONTEXT}")
    ana.get_by_text("Se guardó la grabación").wait_for()
    assert "grabada, por revisar" in ana.content()

    # Rosa listens and approves.
    rosa = person("rosa")
    rosa.goto(f"{base}/recordings/agr/{CONTEXT}")
    assert 1.5 < _duration(rosa, ".take-current audio") < 30
    rosa.get_by_role("button", name="Aprobar").click()
    rosa.get_by_text("Grabación aprobada.").wait_for()

    # Fabio plays it on the module page, on a phone.
    fabio = person("fabio", width=360)
    fabio.goto(f"{base}/modules/vivero-de-cafe")
    players = fabio.locator("audio.take")
    assert players.count() == 1
    assert players.first.get_attribute("preload") == "none"
    assert 1.5 < _duration(fabio, "audio.take") < 30
    assert _plays(fabio, "audio.take") > 0.2


def test_a_recording_made_without_connection_is_kept_and_sent_later(live_server, microphone_browser):
    base = live_server
    live_server.cli("create-user", "admin", "--role", "admin", "--password", PASSWORD)
    live_server.cli("create-user", "ana", "--role", "translator", "--password", PASSWORD)
    context = microphone_browser.new_context(locale="es-PE", viewport={"width": 360, "height": 740})
    ana = context.new_page()
    login(ana, base, "ana")
    ana.goto(f"{base}/recordings/agr/{CONTEXT}")
    recorder = ana.locator("#recorder")
    recorder.get_by_role("button", name="Grabar").click()
    ana.wait_for_timeout(2000)
    recorder.get_by_role("button", name="Detener").click()
    recorder.locator("audio").wait_for(state="visible")

    # The signal drops as she saves, and she closes the page: the take stays on the phone,
    # and nothing reaches the server.
    context.set_offline(True)
    recorder.get_by_role("button", name="Guardar la grabación").click()
    recorder.get_by_text("La grabación queda guardada en este aparato").wait_for()
    ana.close()
    context.set_offline(False)
    ana = context.new_page()
    ana.goto(f"{base}/recordings/agr/{CONTEXT}")
    recorder = ana.locator("#recorder")
    assert "Grabación actual" not in ana.content()

    # The page offers the kept take; she listens to it.
    recorder.get_by_text("Hay una grabación de este texto que no se envió").wait_for()
    assert _plays(ana, "#recorder audio") > 0.2
    # Saving fails again for want of signal; when the signal returns, the page sends it by itself.
    context.set_offline(True)
    recorder.get_by_role("button", name="Guardar la grabación").click()
    recorder.get_by_text("La grabación queda guardada en este aparato").wait_for()
    context.set_offline(False)
    ana.get_by_text("Se guardó la grabación").wait_for()
    assert "grabada, por revisar" in ana.content()
    # Sent, it is no longer kept: the page offers nothing the next time.
    ana.reload()
    ana.locator("#recorder").wait_for(state="visible")
    ana.wait_for_timeout(500)
    assert recorder.locator("p[role=status]").inner_text() == ""
    assert recorder.locator("audio").is_hidden()
    context.close()

"""The benchmark's clock in the page (`bench/page_clock.js`) tells a run's end as Streamlit's protocol does.

`bench/crowd.py` times a gesture by the page's own clock: the click, the moment
the server's `script_finished` reached the page, the page drawn. Its reading of
the protocol is a few lines of JavaScript; a slip there (it once skipped
length-delimited fields wrongly and took deltas for ends of runs) would make
every figure of docs/benchmarks.md wrong, so it is checked against the protobuf
library, on built messages and on the real traffic of a session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.support.browser_helpers import demo_sign_in, wait_for_app

pytestmark = pytest.mark.browser

PAGE_CLOCK = Path(__file__).resolve().parents[2] / "bench" / "page_clock.js"
STRUCTURE = "Mission Locale Bouches-du-Rhône Nord (ML13001)"


def finished(payload: bytes) -> bool:
    msg = ForwardMsg()
    msg.ParseFromString(payload)
    return msg.WhichOneof("type") == "script_finished"


def messages() -> list[bytes]:
    """Ends of runs and messages that are not, some holding the byte of field 6 inside a nested field."""
    out = []
    end = ForwardMsg()
    end.hash = "a" * 32
    end.script_finished = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    out.append(end.SerializeToString())
    delta = ForwardMsg()
    delta.hash = "b" * 32
    delta.metadata.delta_path.extend([0, 6, 300])
    delta.delta.new_element.markdown.body = "6" * 200 + "\x30\x06"  # a text long enough for a two-byte length
    out.append(delta.SerializeToString())
    session = ForwardMsg()
    session.new_session.page_script_hash = "0" * 36
    session.new_session.name = "\x30" * 130
    out.append(session.SerializeToString())
    return out


def test_the_page_clock_reads_built_messages_as_protobuf_does(page: Page):
    page.goto("about:blank")
    page.add_script_tag(path=str(PAGE_CLOCK))
    for payload in messages():
        seen = page.evaluate("bytes => window.__horloge.isFinished(new Uint8Array(bytes))", list(payload))
        assert seen is finished(payload), ForwardMsg.FromString(payload).WhichOneof("type")


def test_the_page_clock_counts_the_ends_of_runs_the_server_sent(page: Page, running_app):
    received: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda p: received.append(p) if isinstance(p, bytes) else None))
    page.add_init_script(path=str(PAGE_CLOCK))
    demo_sign_in(page, running_app.url, "Direction de Mission Locale", STRUCTURE)
    wait_for_app(page)

    page.evaluate("ready => window.__horloge.arm(ready)", {"text": "Impact de l'accompagnement", "css": "[data-testid=stMetric]"})
    page.get_by_test_id("stSidebarNav").locator('a[href$="/impact"]').click()
    page.wait_for_function("() => window.__horloge.result !== null", timeout=60_000)
    wait_for_app(page)

    ends = sum(finished(p) for p in received)
    assert ends >= 3  # the start, the role, the structure, the page
    assert page.evaluate("() => window.__horloge.finished.length") == ends
    result = page.evaluate("() => window.__horloge.result")
    assert result["clicked"] < result["finished"] <= result["drawn"]

// The page's own clock for `bench/crowd.py`: when the user's click happened, when the server's end of the run
// (`script_finished`) reached the page, and when the page was drawn after it, all by `performance.now()` in the
// page. Timed from Python instead, every step also paid Playwright's round trips (Python, its driver, the
// browser), which on a loaded two-core machine added tenths of a second that no user waits for.
(() => {
  const clock = { clicks: [], finished: [], result: null };
  window.__horloge = clock;

  // A ForwardMsg is `script_finished` when its top-level field 6 is present (protobuf wire format).
  const isFinished = (bytes) => {
    let i = 0;
    const varint = () => {
      let value = 0, factor = 1, byte;
      do { byte = bytes[i++]; value += (byte & 0x7f) * factor; factor *= 128; } while (byte & 0x80 && i < bytes.length);
      return value;
    };
    while (i < bytes.length) {
      const tag = varint(), field = Math.floor(tag / 8), kind = tag % 8;
      if (field === 6) return true;
      if (kind === 0) varint();
      else if (kind === 2) { const length = varint(); i += length; }  // not `i += varint()`: i would be read first
      else if (kind === 1) i += 8;
      else if (kind === 5) i += 4;
      else return false;
    }
    return false;
  };

  clock.isFinished = isFinished;

  const Native = window.WebSocket;
  function Watched(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("message", (event) => {
      const at = performance.now();
      if (event.data instanceof ArrayBuffer && isFinished(new Uint8Array(event.data))) clock.finished.push(at);
    });
    return socket;
  }
  Watched.prototype = Native.prototype;
  for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Watched[name] = Native[name];
  window.WebSocket = Watched;

  document.addEventListener("click", () => clock.clicks.push(performance.now()), true);

  const settled = () => !document.querySelector('[data-testid="stStatusWidget"]') && !document.querySelector('[data-stale="true"]');
  const frame = () => new Promise((done) => requestAnimationFrame(done));

  // Armed just before the gesture: waits, frame by frame, for a click, then the end of a run after it, the page
  // settled and showing `ready` (a CSS selector, a text, or both), then two more frames (painted on screen).
  clock.arm = (ready) => {
    clock.result = null;
    const since = performance.now();
    const shows = () => (!ready.css || document.querySelector(ready.css)) && (!ready.text || document.body.textContent.includes(ready.text));
    (async () => {
      for (;;) {
        await frame();
        const clicked = clock.clicks.find((t) => t >= since);
        const finished = clicked === undefined ? undefined : clock.finished.filter((t) => t >= clicked).pop();
        if (finished !== undefined && settled() && shows()) {
          await frame();
          await frame();
          clock.result = { clicked, finished: clock.finished.filter((t) => t >= clicked).pop(), drawn: performance.now() };
          return;
        }
      }
    })();
  };
})();

/* The book's slider players (book/_ext/course_player.py writes their markup).
 *
 * Each .course-player holds HTML controls in the notebook's widget order,
 * the figure of the current setting and, as inline JSON, every frame the
 * build drew: {controls: [{label, kind, labels, start}], frames: {"i,j,k": key},
 * alts: {"i,j,k": the frame's text alternative: the figure's own description
 * at that setting, then the settings}, dir, title}. Moving a control (arrow keys, mouse, Space on a checkbox) looks
 * up the frame of the new setting and swaps the image once it is decoded;
 * a setting the book does not hold shows a note in the figure's place
 * instead of the old figure. Nothing is fetched but the site's own images
 * (relative paths: the page works from file:// too). The frames one move
 * away from the current setting are loaded ahead (the next position of each
 * control at once, every position of each control when the browser is
 * idle), so that the next move finds its image decoded.
 *
 * Each swap ends with a "course-player-shown" event on the player (detail:
 * {key, missing}) and the player's data-shown attribute set to the frame's
 * key ("" when missing): the tests and benchmarks/book.py wait for them.
 */
(function () {
  "use strict";

  function setup(root) {
    const script = root.querySelector("script.course-player-data");
    if (!script || root.dataset.ready) return;
    const data = JSON.parse(script.textContent);
    const img = root.querySelector("img.course-player-frame");
    const missing = root.querySelector(".course-player-missing");
    const status = root.querySelector(".course-player-status");
    const inputs = [...root.querySelectorAll("[data-control]")];
    const reset = root.querySelector(".course-player-reset");
    const loaded = new Map(); // key -> Promise of a decoded Image
    let wanted = null;
    let asked = data.controls.map((c) => c.start).join(","); // the setting last asked for

    const srcOf = (key) => data.dir + "/" + key + ".png";
    const describe = (at) => data.controls.map((c, i) => c.label + " " + c.labels[at[i]]).join(", ");

    function load(key) {
      if (!loaded.has(key)) {
        const image = new Image();
        image.src = srcOf(key);
        loaded.set(key, image.decode().then(() => image, () => image));
      }
      return loaded.get(key);
    }

    function position(input) {
      const c = data.controls[+input.dataset.control];
      if (c.kind === "checkbox") {
        const on = c.labels.indexOf("on");
        return input.checked ? on : 1 - on;
      }
      return +input.value;
    }

    function setting() {
      return inputs.map(position);
    }

    function readout(input) {
      const c = data.controls[+input.dataset.control];
      if (c.kind !== "range") return;
      const text = c.labels[+input.value];
      input.setAttribute("aria-valuetext", text);
      const out = root.querySelector('output[for="' + input.id + '"]');
      if (out) out.textContent = text;
    }

    function done(key, isMissing) {
      root.dataset.shown = key;
      requestAnimationFrame(() =>
        root.dispatchEvent(new CustomEvent("course-player-shown", {detail: {key: key, missing: isMissing}})));
    }

    // the frames one move away: first the next position of each control
    // (an arrow key), then, when the browser is idle, every position of each
    // control with the others where they are (a click on the track, Home, End)
    function preload(at) {
      if (window.coursePlayerNoPreload) return; // benchmarks/book.py measures frames never loaded
      const around = (near) => at.forEach((p, i) => {
        for (let q = 0; q < data.controls[i].labels.length; q++) {
          if (q === p || (near && Math.abs(q - p) !== 1)) continue;
          const next = at.slice();
          next[i] = q;
          const key = data.frames[next.join(",")];
          if (key) load(key);
        }
      });
      around(true);
      const later = window.requestIdleCallback || ((f) => setTimeout(f, 200));
      later(() => { if (asked === at.join(",")) around(false); });
    }

    function show() {
      const at = setting();
      if (at.join(",") === asked) return; // "input" and "change" both report one move
      asked = at.join(",");
      const key = data.frames[at.join(",")];
      const words = describe(at);
      wanted = key || null;
      if (!key) {
        const box = img.hidden ? null : img.getBoundingClientRect();
        if (box && box.width) {
          missing.style.width = Math.round(box.width) + "px";
          missing.style.minHeight = Math.round(box.height) + "px";
        }
        img.hidden = true;
        missing.hidden = false;
        missing.textContent = "No figure in the book for " + words + ". The book holds every position of each " +
          "control with the others at their starting values, and the settings the question above asks about. " +
          "“Back to the starting values” returns there; in JupyterLab (make lab) every combination moves.";
        status.textContent = "No figure for this setting: " + words + ".";
        done("", true);
        return;
      }
      root.setAttribute("aria-busy", "true");
      load(key).then(() => {
        if (wanted !== key) return; // the learner moved on meanwhile
        img.src = srcOf(key);
        img.alt = (data.alts && data.alts[at.join(",")]) || data.title + ": " + words;
        img.hidden = false;
        missing.hidden = true;
        root.removeAttribute("aria-busy");
        status.textContent = "Showing " + words + ".";
        done(key, false);
        preload(at);
      });
    }

    for (const input of inputs) {
      input.addEventListener("input", () => { readout(input); show(); });
      input.addEventListener("change", () => { readout(input); show(); });
    }
    if (reset) {
      reset.addEventListener("click", () => {
        for (const input of inputs) {
          const c = data.controls[+input.dataset.control];
          if (c.kind === "checkbox") input.checked = c.labels[c.start] === "on";
          else input.value = String(c.start);
          readout(input);
        }
        show();
      });
    }
    root.dataset.ready = "true";
    // the browser may restore a moved control when the page is revisited: show what the controls say
    const start = data.controls.map((c) => c.start);
    const now = setting();
    inputs.forEach(readout);
    if (now.join(",") !== start.join(",")) show();
    else {
      root.dataset.shown = data.frames[start.join(",")];
      load(root.dataset.shown);
      preload(start);
    }
  }

  function all() {
    document.querySelectorAll(".course-player").forEach(setup);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();

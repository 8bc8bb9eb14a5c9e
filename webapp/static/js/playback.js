/* Code playback (webapp/templates/scoring/playback.html): a scrubber over the snapshots, Play/Pause at a chosen
 * speed, and marks for pastes and visible-test runs.
 *
 * The timeline comes from the server (assessments.selectors.playback): each frame's position already has the
 * idle gaps shortened, so playing waits (next position - this position) / speed between frames. Without
 * JavaScript the page is a GET form (the scrubber and the marks submit `at` and `jump`); here they act in place.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function clock(seconds) {
    var total = Math.max(0, Math.floor(seconds));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var ss = (s < 10 ? "0" : "") + s;
    if (h) return h + ":" + (m < 10 ? "0" : "") + m + ":" + ss;
    return m + ":" + ss;
  }

  function init() {
    var dataNode = $("playback-data"), form = $("playback");
    if (!dataNode || !form) return;
    var data = JSON.parse(dataNode.textContent);
    var frames = data.frames;
    if (!frames.length) return;
    var scrubber = $("playback-scrubber"), code = $("playback-code"), status = $("playback-status");
    var play = $("playback-play"), speed = $("playback-speed");
    var timer = null;

    function describe(i) {
      var f = frames[i];
      return "Snapshot " + (i + 1) + " of " + frames.length + " · revision " + f.revision + " · " +
        clock(f.elapsedS) + " since the start";
    }

    function show(i) {
      var f = frames[i];
      var changed = {};
      f.changed.forEach(function (n) { changed[n] = true; });
      // As selectors.playback.split_lines: a final newline ends the last line, it does not start an empty one
      // (it stays in the text, so the code's text is the body exactly).
      var lines = f.body.split("\n");
      var endsWithNewline = lines.length > 1 && lines[lines.length - 1] === "";
      if (endsWithNewline) lines.pop();
      var fragment = document.createDocumentFragment();
      lines.forEach(function (text, k) {
        var span = document.createElement("span");
        span.className = changed[k + 1] ? "line changed" : "line";
        span.textContent = text;
        fragment.appendChild(span);
        if (k < lines.length - 1 || endsWithNewline) fragment.appendChild(document.createTextNode("\n"));
      });
      code.replaceChildren(fragment);
      code.setAttribute("data-revision", String(f.revision));
      scrubber.value = String(i);
      scrubber.setAttribute("aria-valuetext", describe(i).replace(/ · /g, ", "));
      status.textContent = describe(i);
    }

    function current() { return parseInt(scrubber.value, 10) || 0; }

    function pause() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      play.textContent = "Play";
      status.setAttribute("aria-live", "polite");
    }

    function step() {
      var i = current();
      if (i >= frames.length - 1) { pause(); return; }
      var wait = (frames[i + 1].positionS - frames[i].positionS) * 1000 / (parseFloat(speed.value) || 1);
      timer = setTimeout(function () {
        show(i + 1);
        step();
      }, wait);
    }

    function start() {
      if (current() >= frames.length - 1) show(0);  // from the end, play again from the start
      play.textContent = "Pause";
      status.setAttribute("aria-live", "off");  // a screen reader would otherwise read every frame
      step();
    }

    play.addEventListener("click", function () { if (timer === null) start(); else pause(); });
    // A new speed applies from the next frame: restart the wait for it.
    speed.addEventListener("change", function () {
      if (timer !== null) { clearTimeout(timer); step(); }
    });
    scrubber.addEventListener("input", function () { pause(); show(current()); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.querySelectorAll("button.mark").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        pause();
        show(parseInt(button.getAttribute("data-frame"), 10));
      });
    });

    // Ticks on the track: a mark sits between its frame and the next, by its share of the (shortened) gap.
    var ticks = form.querySelector(".playback-ticks");
    var last = Math.max(frames.length - 1, 1);
    data.marks.forEach(function (m) {
      var f = frames[m.frame], next = frames[m.frame + 1];
      var span = next ? next.positionS - f.positionS : 0;
      var at = m.frame + (span > 0 ? (m.positionS - f.positionS) / span : 0);
      var tick = document.createElement("span");
      tick.className = "tick tick-" + m.kind;
      tick.title = m.label;
      tick.style.left = (100 * at / last) + "%";
      ticks.appendChild(tick);
    });

    $("playback-show").hidden = true;
    play.hidden = false;
    $("playback-speed-label").hidden = false;
    show(current());
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();

/* The candidate's exam page: countdown on the server's clock, autosave with revisions, offline
 * keeping, conflict resolution, integrity signals, and the code editor.
 *
 * Nothing typed is lost: every keystroke lands in localStorage first; a save carries the revision
 * it is based on; the server refuses a stale one (409) and the page asks which version to keep.
 * Without JavaScript the forms still post and the server redirects back.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 800;
  // Short enough that a save lands within seconds of the server coming back; a Retry-After wins over it.
  var RETRY_MS = [1000, 2000, 4000, 8000];

  function $(id) { return document.getElementById(id); }

  // A refused CSRF check (cookies cleared, session ended, token rotated by another window) answers with a fresh
  // token: every form and htmx request of the page uses it from then on.
  function setCsrfToken(token) {
    if (!token) return;
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.value = token; });
    var hx = document.body.getAttribute("hx-headers");
    if (hx) {
      try {
        var headers = JSON.parse(hx);
        headers["X-CSRFToken"] = token;
        document.body.setAttribute("hx-headers", JSON.stringify(headers));
      } catch (err) { /* leave it */ }
    }
  }

  function retryAfterMs(resp) {
    var value = parseInt(resp.headers.get("Retry-After") || "", 10);
    return isNaN(value) ? null : Math.min(Math.max(value, 1), 120) * 1000;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // --- clock: the server's deadline, corrected by the server's "now" on load and on every save --
  var clock = { offsetMs: 0, deadlineMs: null, timer: null, expired: false };

  function syncClock(serverNowIso, deadlineIso) {
    if (serverNowIso) clock.offsetMs = Date.parse(serverNowIso) - Date.now();
    if (deadlineIso) clock.deadlineMs = Date.parse(deadlineIso);
  }

  function fmt(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)), ss = String(s).padStart(2, "0");
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  function startClock() {
    var el = $("countdown");
    if (!el) return;
    syncClock(el.dataset.serverNow, el.dataset.deadline);
    function tick() {
      var left = Math.max(0, Math.round((clock.deadlineMs - (Date.now() + clock.offsetMs)) / 1000));
      el.textContent = fmt(left);
      el.setAttribute("datetime", "PT" + left + "S");
      el.classList.toggle("low", left <= 300);
      if (left === 300 || left === 60) announce(left === 300 ? "Five minutes left." : "One minute left.");
      if (left === 0 && !clock.expired) {
        clock.expired = true;
        onTimeUp();
      }
    }
    tick();
    clock.timer = setInterval(tick, 1000);
  }

  function announce(text) {
    var state = $("save-state");
    if (state) state.textContent = text;
  }

  function onTimeUp() {
    // Send what is pending, then let the server submit (it does so on the next read after the grace).
    flushAll().finally(function () {
      showClosed("Time is up. Your last saved answers are being submitted…");
      setTimeout(function () { window.location.reload(); }, 7000);
    });
  }

  function showClosed(message) {
    var box = $("closed");
    if (box) { box.textContent = message; box.hidden = false; }
    document.querySelectorAll("form[data-autosave] textarea").forEach(function (t) { t.readOnly = true; });
    editors.forEach(function (ed) { if (ed.setReadOnly) ed.setReadOnly(true); });
  }

  // --- autosave -----------------------------------------------------------------------------
  var savers = [];
  var editors = [];

  function Saver(form) {
    this.form = form;
    this.textarea = form.querySelector("textarea[name=body]");
    this.revisionInput = form.querySelector("input[name=base_revision]");
    this.url = form.getAttribute("action");
    this.key = "it-exam:" + document.body.dataset.exam + ":" + form.dataset.question;
    this.revision = parseInt(form.dataset.revision || "0", 10);
    this.sentBody = this.textarea.value;   // what the server holds as far as we know
    this.inFlight = null;
    this.timer = null;
    this.retry = 0;
    this.blocked = false;                  // conflict or closed: wait for the candidate
    var self = this;
    this.textarea.addEventListener("input", function () { self.changed(); });
    this.textarea.addEventListener("paste", function (e) {
      var text = (e.clipboardData && e.clipboardData.getData("text")) || "";
      signal({ kind: "paste", chars: text.length, question: form.dataset.question });
    });
    this.textarea.addEventListener("it:paste", function (e) {
      signal({ kind: "paste", chars: (e.detail && e.detail.chars) || 0, question: form.dataset.question });
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); self.save(); });
    this.restore();
  }

  Saver.prototype.store = function () {
    try {
      localStorage.setItem(this.key, JSON.stringify({ body: this.textarea.value, base: this.revision, at: Date.now() }));
    } catch (err) { /* storage full or disabled: the server copy still works */ }
  };

  Saver.prototype.forget = function () {
    try { localStorage.removeItem(this.key); } catch (err) { /* ignore */ }
  };

  Saver.prototype.restore = function () {
    // A reload or a new tab after typing offline: bring back what never reached the server.
    var raw = null;
    try { raw = localStorage.getItem(this.key); } catch (err) { return; }
    if (!raw) return;
    var kept;
    try { kept = JSON.parse(raw); } catch (err) { this.forget(); return; }
    if (kept.body === this.textarea.value) { this.forget(); return; }
    if (kept.base === this.revision) {
      this.setText(kept.body);
      setState("Restored unsent text from this browser; saving…");
      this.schedule(0);
    } else {
      // The server moved on since this browser's copy was taken: ask.
      this.conflict({ current_revision: this.revision, current_body: this.textarea.value,
                      error: "This browser kept text you typed earlier that was never saved, and the saved answer " +
                             "has changed since (revision " + this.revision + ")." }, kept.body);
    }
  };

  Saver.prototype.setText = function (text) {
    var ed = editors.find(function (e) { return e.textarea === this.textarea; }, this);
    if (ed) ed.setValue(text);
    this.textarea.value = text;
  };

  Saver.prototype.changed = function () {
    if (clock.expired) return;
    this.store();
    setState("Unsaved changes…");
    this.schedule(DEBOUNCE_MS);
  };

  Saver.prototype.schedule = function (ms) {
    var self = this;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.save(); }, ms);
  };

  Saver.prototype.dirty = function () { return this.textarea.value !== this.sentBody; };

  Saver.prototype.save = function () {
    var self = this;
    if (this.blocked) return Promise.resolve();
    if (this.inFlight) { this.again = true; return this.inFlight; }
    if (!this.dirty()) { this.forget(); return Promise.resolve(); }
    var body = this.textarea.value;
    var maxChars = parseInt(this.form.dataset.maxChars || "0", 10);
    if (maxChars && body.length > maxChars) {
      // Refused before sending: the server would refuse it too, and a huge body is slow to send.
      setState("Not saved: this answer is longer than " + maxChars.toLocaleString() + " characters (" +
               body.length.toLocaleString() + "). It is kept in this browser; shorten it and it saves again.");
      return Promise.resolve();
    }
    var data = new FormData();
    data.append("body", body);
    data.append("base_revision", String(this.revision));
    setState("Saving…");
    this.inFlight = fetch(this.url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (json) { return [resp.status, json, resp]; });
    }).then(function (pair) {
      var status = pair[0], json = pair[1], resp = pair[2];
      syncClock(json.server_now, json.deadline_at);
      if (status === 409 && json.code === "stale_revision" && json.current_body === body) {
        // Another tab (or this page before a reload) already saved exactly this text: not a conflict.
        status = 200;
        json.revision = json.current_revision;
        json.saved_at = json.server_now;
      }
      if (status === 200) {
        self.revision = json.revision;
        self.revisionInput.value = String(json.revision);
        self.sentBody = body;
        self.retry = 0;
        setOnline(true);
        if (!self.dirty()) self.forget();
        setState("Saved at " + new Date(json.saved_at).toLocaleTimeString());
      } else if (status === 409 && json.code === "stale_revision") {
        self.conflict(json, self.textarea.value);
      } else if (status === 403 && (json.code === "deadline_passed" || json.code === "attempt_closed")) {
        self.blocked = true;
        showClosed(json.error || "This exam is closed.");
        setState("Not saved");
      } else if (status === 403 && json.code === "csrf_failed" && json.csrf_token && !self.csrfRetried) {
        // The refused save changed nothing: take the fresh token and send the same text again, once.
        self.csrfRetried = true;
        setCsrfToken(json.csrf_token);
        setState("Reconnecting the session — kept in this browser…");
        self.schedule(0);
        return;
      } else if (status === 429 || status === 503) {
        // Busy or briefly unavailable: the text stays here and goes with the next try, when the server says.
        var wait = retryAfterMs(resp) || RETRY_MS[Math.min(self.retry, RETRY_MS.length - 1)];
        self.retry += 1;
        setState((status === 429 ? "Saving paused a moment" : "The server is briefly unavailable") +
                 " — kept in this browser, retrying in " + Math.round(wait / 1000) + " s");
        self.schedule(wait);
      } else if (status === 413 || (status === 400 && json.code)) {
        // The server read the save and refused it for a reason a retry will not change: say why.
        setState("Not saved: " + (json.error || ("error " + status)));
      } else {
        // A 5xx, or an answer that is not ours (a proxy's error page, a 403 without a reason): keep trying.
        var err = new Error("server answered " + status);
        err.status = status;
        err.detail = json.error;
        throw err;
      }
      if (status !== 403) self.csrfRetried = false;
    }).catch(function (err) {
      // Network down or the server failed: keep the text here and try again soon.
      setOnline(navigator.onLine);
      var wait = RETRY_MS[Math.min(self.retry, RETRY_MS.length - 1)];
      self.retry += 1;
      var why = !(err && err.status) ? "no connection to the server"
        : err.detail ? err.detail.replace(/[.\s]+$/, "") + " (error " + err.status + ")"
        : "the server had a problem (error " + err.status + ")";
      setState("Not saved yet: " + why + " — kept in this browser, retrying in " + Math.round(wait / 1000) + " s");
      self.schedule(wait);
    }).finally(function () {
      self.inFlight = null;
      if (self.again) { self.again = false; if (self.dirty()) self.schedule(0); }
    });
    return this.inFlight;
  };

  Saver.prototype.conflict = function (json, mine) {
    var self = this;
    this.blocked = true;
    this.store();
    var box = $("conflict");
    $("conflict-message").textContent = json.error || "";
    $("conflict-theirs").textContent = json.current_body;
    box.hidden = false;
    setState("Not saved: two versions — choose one");
    $("keep-mine").onclick = function () {
      self.revision = json.current_revision;
      self.sentBody = json.current_body;
      self.blocked = false;
      box.hidden = true;
      self.setText(mine);
      self.store();
      self.save();
    };
    $("take-theirs").onclick = function () {
      self.revision = json.current_revision;
      self.revisionInput.value = String(json.current_revision);
      self.sentBody = json.current_body;
      self.blocked = false;
      box.hidden = true;
      self.setText(json.current_body);
      self.forget();
      setState("Using the saved version");
    };
    box.querySelector("button").focus();
  };

  function flushAll() {
    return Promise.all(savers.map(function (s) { clearTimeout(s.timer); return s.save(); }));
  }

  function setState(text) {
    var el = $("save-state");
    if (el) el.textContent = text;
  }

  function setOnline(online) {
    var banner = $("offline-banner");
    if (banner) banner.hidden = online;
  }

  window.addEventListener("offline", function () {
    setOnline(false);
    setState("Offline — kept in this browser");
  });
  function retryNow() {
    savers.forEach(function (s) { s.retry = 0; if (s.dirty() && !s.blocked && !s.inFlight) s.schedule(0); });
  }
  window.addEventListener("online", function () { setOnline(true); retryNow(); });
  // Back at the page after a while away: do not wait for the next backoff step.
  document.addEventListener("visibilitychange", function () { if (!document.hidden) retryNow(); });
  window.addEventListener("beforeunload", function (e) {
    var pending = savers.some(function (s) { return s.dirty(); });
    if (pending) { e.preventDefault(); e.returnValue = ""; }
  });

  // --- integrity signals: batched, sent with sendBeacon so leaving the page does not drop them --
  var queue = [];
  var flushTimer = null;

  function signal(event) {
    if (!document.body.dataset.signalsUrl) return;
    event.at = new Date().toISOString();
    queue.push(event);
    clearTimeout(flushTimer);
    flushTimer = setTimeout(sendSignals, 2000);
  }

  function sendSignals() {
    if (!queue.length) return;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", csrfToken());
    data.append("events", JSON.stringify(queue.splice(0, 50)));
    var url = document.body.dataset.signalsUrl;
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, data))) {
      fetch(url, { method: "POST", body: data, credentials: "same-origin", keepalive: true }).catch(function () {});
    }
  }

  // Only a real departure counts: another tab or window took the focus. Moving between the exam's own pages
  // also hides this document (visibilitychange fires on every navigation), so once the page is being left
  // (beforeunload/pagehide) nothing is recorded; and a blur followed by "hidden" is one departure, not two.
  function watchFocus() {
    var question = (document.querySelector("form[data-autosave]") || { dataset: {} }).dataset.question;
    var away = false, leaving = false;
    function left() {
      if (leaving || away) return;
      away = true;
      signal({ kind: "focus_lost", question: question });
    }
    function back() {
      if (!away) return;
      away = false;
      signal({ kind: "focus_regained", question: question });
    }
    function leavingPage() {
      leaving = true;
      // A "stay on this page?" answer keeps it: watch again if the page is still here a moment later.
      setTimeout(function () { leaving = false; }, 1500);
    }
    window.addEventListener("beforeunload", leavingPage);
    window.addEventListener("pagehide", function () { leaving = true; });
    window.addEventListener("pageshow", function () { leaving = false; });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { left(); sendSignals(); flushAll(); } else { back(); }
    });
    window.addEventListener("blur", function () { if (!document.hidden && !document.hasFocus()) left(); });
    window.addEventListener("focus", back);
  }

  // --- the visible run's result: polled promptly ------------------------------------------------
  // The fragment polls "every 1s" (the template's, and the fallback). A run is usually done within a few seconds,
  // so a whole second between looks is most of what the candidate waits after the result exists: for the run's
  // first seconds each fragment also asks once, shortly after it arrives (a chain of quick polls, each answer
  // replacing the fragment), then less often. A failed poll swaps nothing, which ends the chain: "every 1s" then
  // carries on, as before. The fragment shows the queue position and the seconds so far at every answer.
  var POLL_FAST_MS = 250, POLL_FAST_FOR_MS = 3000, POLL_MID_MS = 500, POLL_MID_FOR_MS = 10000;
  var pollStarted = {};
  function pollDelay(url) {
    if (!(url in pollStarted)) pollStarted[url] = Date.now();
    var waited = Date.now() - pollStarted[url];
    return waited < POLL_FAST_FOR_MS ? POLL_FAST_MS : waited < POLL_MID_FOR_MS ? POLL_MID_MS : 0;
  }
  document.addEventListener("htmx:beforeProcessNode", function (e) {
    var elt = e.target;
    if (!elt || elt.id !== "run-result") return;
    var url = elt.getAttribute("hx-get"), trigger = elt.getAttribute("hx-trigger") || "";
    if (!url || !/^every /.test(trigger)) return;
    var delay = pollDelay(url);
    if (delay) elt.setAttribute("hx-trigger", "load delay:" + delay + "ms, " + trigger);
  });

  // --- code editor and the visible-tests form --------------------------------------------------
  function setUpEditors() {
    if (!window.InterviewTrackEditor) return;
    document.querySelectorAll("textarea[data-code]").forEach(function (textarea) {
      var ed = window.InterviewTrackEditor.create(textarea, {});
      ed.textarea = textarea;
      textarea.itEditor = ed;  // the page's other code (and browser tests) reach the editor here
      ed.setReadOnly = function () { /* the server refuses writes after the deadline anyway */ };
      // An explicit tab stop on the editable area, so assistive tech (and axe) sees the scrolling editor as
      // reachable by keyboard; Escape then Tab leaves it (said under the editor).
      if (ed.view && ed.view.contentDOM) ed.view.contentDOM.setAttribute("tabindex", "0");
      editors.push(ed);
    });
  }

  function setUpRunForm() {
    // The run form sends the editor's current text (hx-include reads the textarea; the hidden
    // field covers a plain form post).
    var form = $("run-form");
    if (!form) return;
    form.addEventListener("submit", function () {
      var mirror = form.querySelector("input[data-mirror]");
      var source = $(mirror.dataset.mirror);
      if (mirror && source) mirror.value = source.value;
    });
    document.body.addEventListener("htmx:configRequest", function (e) {
      if (e.detail.elt === form) {
        var source = $("answer");
        if (source) e.detail.parameters.body = source.value;
      }
    });
    // htmx swaps nothing on an error answer: say what happened where the result would be, and for a refused
    // security token take the fresh one so the next click works.
    function runFailed(e) {
      var box = $("run-result");
      if (!box || !e.detail.elt || (e.detail.elt !== form && e.detail.elt !== box)) return;
      var xhr = e.detail.xhr, json = {};
      try { json = JSON.parse((xhr && xhr.responseText) || "{}"); } catch (err) { /* not ours */ }
      if (json.code === "csrf_failed") setCsrfToken(json.csrf_token);
      var status = xhr ? xhr.status : 0;
      var text = json.code === "csrf_failed" ? "The session's security token was renewed; press Run again." :
        json.error ? json.error :
        status ? "The server could not start the run (error " + status + "). Your code is saved; try again in a moment." :
        "No connection to the server. Your code is kept in this browser; try again when you are back online.";
      if (e.detail.elt === box) {
        // A failed poll: keep polling (htmx does), but say the status is not current.
        var note = box.querySelector("[data-poll-note]");
        if (!note) { note = document.createElement("p"); note.className = "muted"; note.dataset.pollNote = ""; box.appendChild(note); }
        note.textContent = "Could not reach the server for an update; still trying…";
        return;
      }
      box.className = "run-result error";
      box.setAttribute("role", "alert");
      box.textContent = text;
    }
    // The first error's line: selected (so the active-line highlight marks it) and scrolled into view, on a
    // click, and by itself when a result arrives while the candidate is not typing in the editor.
    document.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("[data-goto-line]");
      if (button) showLine(parseInt(button.dataset.gotoLine, 10), true);
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      var err = document.querySelector("#run-result [data-error-line]");
      var ed = editors[0];
      if (err && ed && !ed.view.hasFocus) showLine(parseInt(err.dataset.errorLine, 10), false);
    });
    document.body.addEventListener("htmx:responseError", runFailed);
    document.body.addEventListener("htmx:sendError", runFailed);
  }

  function showLine(number, focus) {
    var ed = editors[0];
    if (!ed || !ed.view || !(number > 0)) return;
    var doc = ed.view.state.doc;
    var line = doc.line(Math.min(number, doc.lines));
    ed.view.dispatch({ selection: { anchor: line.from, head: line.to }, scrollIntoView: true });
    if (focus) ed.view.focus();
  }

  // Code blocks that scroll (wide prompt code, long test output) can be scrolled from the keyboard: a tab stop on
  // each one that overflows, re-checked when results arrive or the window changes size (WCAG 2.1.1).
  function focusableScrollers() {
    document.querySelectorAll("main pre").forEach(function (pre) {
      var scrolls = pre.scrollWidth > pre.clientWidth + 1 || pre.scrollHeight > pre.clientHeight + 1;
      if (scrolls && !pre.hasAttribute("tabindex")) pre.setAttribute("tabindex", "0");
    });
  }

  // --- submit page: warn when this browser still holds unsent text --------------------------
  function checkUnsent() {
    var warning = $("unsent-warning");
    if (!warning) return;
    try {
      for (var i = 0; i < localStorage.length; i++) {
        if ((localStorage.key(i) || "").indexOf("it-exam:") === 0) { warning.hidden = false; break; }
      }
    } catch (err) { /* ignore */ }
  }

  function clearAfterSubmit() {
    var done = document.body.dataset.examDone;
    if (!done) return;
    try {
      var prefix = "it-exam:" + done + ":";
      Object.keys(localStorage).forEach(function (k) { if (k.indexOf(prefix) === 0) localStorage.removeItem(k); });
    } catch (err) { /* ignore */ }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpEditors();
    document.querySelectorAll("form[data-autosave]").forEach(function (form) { savers.push(new Saver(form)); });
    setUpRunForm();
    startClock();
    checkUnsent();
    clearAfterSubmit();
    focusableScrollers();
    window.addEventListener("resize", focusableScrollers);
    document.body.addEventListener("htmx:afterSettle", focusableScrollers);
    document.addEventListener("toggle", focusableScrollers, true);  // a <details> opened: its code may scroll
    if (document.body.dataset.exam) watchFocus();
  });
})();

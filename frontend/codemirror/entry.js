// Bundle entry for the vendored CodeMirror 6 editor used by Interview Track.
//
// Built by ./build.sh into webapp/static/vendor/codemirror/codemirror.min.js
// (IIFE, no module loader needed). It exposes one global:
//
//   window.InterviewTrackEditor.create(textarea, options) -> {view, getValue, setValue, destroy}
//   window.InterviewTrackEditor.version                    -> "6.x.y" (codemirror package)
//
// The <textarea> stays in the form (hidden) and is kept in sync, so form posts
// and any code listening for `input` on the textarea (autosave) keep working.
//
// Keyboard accessibility: Tab is bound to indentation (indentWithTab), which
// would normally trap keyboard users. CodeMirror handles this itself: pressing
// Escape and then Tab (within ~2 s) moves focus out of the editor as usual, and
// Ctrl-M (Shift-Alt-M on macOS) toggles "tab focus mode" permanently.
//
// CSP note: CodeMirror injects its styles through style-mod. Unpatched,
// style-mod 4.x uses a constructed stylesheet (adoptedStyleSheets) only inside
// shadow roots; in a normal document it inserts a <style> element, which a
// Content-Security-Policy of `style-src 'self'` (no 'unsafe-inline') blocks,
// leaving the editor unstyled. useConstructedStyleSheets() below makes
// documents use a constructed stylesheet too (CSSOM, not restricted by CSP).
// Browsers without adoptedStyleSheets (Safari < 16.4, Firefox < 101) fall back
// to the <style> element; for them pass options.cspNonce (the page's style
// nonce, forwarded to EditorView.cspNonce).

import { EditorState, Annotation } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  indentUnit,
  bracketMatching,
  indentOnInput,
  syntaxHighlighting,
  defaultHighlightStyle,
} from "@codemirror/language";
import { python } from "@codemirror/lang-python";
import { StyleModule } from "style-mod";

// Injected by build.sh (esbuild --define) from node_modules/codemirror/package.json.
/* global __CODEMIRROR_VERSION__ */
const VERSION = typeof __CODEMIRROR_VERSION__ !== "undefined" ? __CODEMIRROR_VERSION__ : "unknown";

// Same module-ordering logic as style-mod's StyleSet.mount, but the rules go
// into one constructed CSSStyleSheet per document instead of a <style> tag.
function useConstructedStyleSheets() {
  const originalMount = StyleModule.mount;
  const sets = new WeakMap(); // Document -> {sheet, modules}
  StyleModule.mount = function (root, modules, options) {
    const win = root && root.defaultView;
    if (!root || !root.head || !root.adoptedStyleSheets || !win || !win.CSSStyleSheet) {
      return originalMount.call(this, root, modules, options);
    }
    let set = sets.get(root);
    if (!set) sets.set(root, (set = { sheet: new win.CSSStyleSheet(), modules: [] }));
    let changed = false;
    let j = 0;
    for (const mod of Array.isArray(modules) ? modules : [modules]) {
      let index = set.modules.indexOf(mod);
      if (index < j && index > -1) {
        set.modules.splice(index, 1); // ordering conflict: move it
        j--;
        index = -1;
      }
      if (index === -1) {
        set.modules.splice(j++, 0, mod);
        changed = true;
      } else {
        j = index + 1;
      }
    }
    if (changed) set.sheet.replaceSync(set.modules.map((m) => m.getRules()).join("\n"));
    // Prepend, like style-mod: page stylesheets keep precedence over these.
    if (root.adoptedStyleSheets.indexOf(set.sheet) < 0) {
      root.adoptedStyleSheets = [set.sheet, ...root.adoptedStyleSheets];
    }
  };
}
useConstructedStyleSheets();

// Marks transactions made by setValue(), so they are not reported as typing.
const programmatic = Annotation.define();

const theme = EditorView.theme(
  {
    "&": {
      backgroundColor: "#ffffff",
      color: "#1e1e1e",
      fontSize: "14px",
      border: "1px solid #8c8c8c",
      borderRadius: "4px",
      maxHeight: "32em",
    },
    "&.cm-focused": {
      outline: "2px solid #1a5fb4",
      outlineOffset: "1px",
    },
    ".cm-scroller": {
      overflow: "auto",
      fontFamily:
        'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
      lineHeight: "1.5",
    },
    ".cm-content, .cm-gutter": {
      minHeight: "16em",
    },
    ".cm-content": {
      caretColor: "#000000",
    },
    ".cm-gutters": {
      backgroundColor: "#f3f3f3",
      color: "#595959",
      borderRight: "1px solid #d0d0d0",
    },
    ".cm-activeLine": {
      backgroundColor: "#eef4fb",
    },
    ".cm-activeLineGutter": {
      backgroundColor: "#dde7f3",
      color: "#1e1e1e",
    },
    "&.cm-focused .cm-matchingBracket": {
      backgroundColor: "#cde3c6",
      outline: "1px solid #5a8a4a",
    },
    "&.cm-focused .cm-nonmatchingBracket": {
      backgroundColor: "#f6d4d4",
    },
  },
  { dark: false },
);

function labelFor(textarea, options) {
  if (options.label) return String(options.label);
  const aria = textarea.getAttribute("aria-label");
  if (aria) return aria;
  let label = textarea.labels && textarea.labels[0];
  if (!label && textarea.id && window.CSS && CSS.escape) {
    label = document.querySelector('label[for="' + CSS.escape(textarea.id) + '"]');
  }
  return label ? label.textContent.trim().replace(/\s+/g, " ") : "";
}

function create(textarea, options) {
  if (!textarea || textarea.tagName !== "TEXTAREA") {
    throw new TypeError("InterviewTrackEditor.create: expected a <textarea> element");
  }
  options = options || {};
  const readOnly = !!options.readOnly;
  const onChange = typeof options.onChange === "function" ? options.onChange : null;

  const contentAttrs = {};
  const label = labelFor(textarea, options);
  if (label) contentAttrs["aria-label"] = label;
  else if (textarea.getAttribute("aria-labelledby")) {
    contentAttrs["aria-labelledby"] = textarea.getAttribute("aria-labelledby");
  }
  if (textarea.getAttribute("aria-describedby")) {
    contentAttrs["aria-describedby"] = textarea.getAttribute("aria-describedby");
  }

  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightActiveLine(),
    drawSelection(),
    history(),
    bracketMatching(),
    indentOnInput(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    python(),
    syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
    // Escape then Tab still leaves the editor (see header comment).
    keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
    theme,
    EditorView.contentAttributes.of(contentAttrs),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged) return;
      const text = update.state.doc.toString();
      textarea.value = text;
      if (update.transactions.some((tr) => tr.annotation(programmatic))) return;
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      if (onChange) onChange(text);
    }),
  ];
  if (options.cspNonce) extensions.push(EditorView.cspNonce.of(String(options.cspNonce)));
  if (readOnly) extensions.push(EditorState.readOnly.of(true), EditorView.editable.of(false));

  const view = new EditorView({
    state: EditorState.create({ doc: textarea.value, extensions }),
  });

  // Hide the textarea (property + CSSOM, both allowed under CSP) and mount after it.
  const prevHidden = textarea.hidden;
  const prevDisplay = textarea.style.display;
  textarea.hidden = true;
  textarea.style.display = "none";
  textarea.parentNode.insertBefore(view.dom, textarea.nextSibling);

  // Report pastes to the page (e.g. for integrity signals). Capture phase so
  // CodeMirror's own handling cannot hide it from us.
  const onPaste = (event) => {
    const data = event.clipboardData || window.clipboardData;
    const text = data ? data.getData("text/plain") || data.getData("text") || "" : "";
    textarea.dispatchEvent(
      new CustomEvent("it:paste", { bubbles: true, detail: { chars: text.length } }),
    );
  };
  view.dom.addEventListener("paste", onPaste, true);

  return {
    view,
    getValue() {
      return view.state.doc.toString();
    },
    setValue(text) {
      text = text == null ? "" : String(text);
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        annotations: programmatic.of(true),
      });
      textarea.value = text; // also covers the no-change case
    },
    destroy() {
      view.dom.removeEventListener("paste", onPaste, true);
      textarea.value = view.state.doc.toString();
      view.destroy();
      view.dom.remove();
      textarea.hidden = prevHidden;
      textarea.style.display = prevDisplay;
    },
  };
}

window.InterviewTrackEditor = { create, version: VERSION };

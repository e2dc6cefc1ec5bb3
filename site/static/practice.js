/* The practice panel of an exercise page: an editor, Check, Download; the grader itself runs in a Web
   Worker (practice-worker.js) through Pyodide. Nothing is sent anywhere: every file comes from this
   site's folder, and the draft stays in this browser's local storage.

   window.gradePractice.check(source) -> Promise of the object `grade submit --json` prints for the
   same file (without a secret). Tools and tests can call it without opening the editor. */
(function () {
  "use strict";
  var panel = document.getElementById("practice");
  var configNode = document.getElementById("practice-config");
  if (!panel || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var base = new URL(config.root + "static/", document.baseURI).href;
  var storageKey = "grade-practice:" + config.exercise;
  var filename = config.exercise + ".py";

  function lang() {
    var l = document.documentElement.getAttribute("data-lang");
    return l === "ko" ? "ko" : "en";
  }

  function say(node, pair) {  // a status in both languages; the page shows one
    node.textContent = "";
    ["ko", "en"].forEach(function (l) {
      var span = document.createElement("span");
      span.className = "i18n";
      span.lang = l;
      span.textContent = pair[l];
      node.appendChild(span);
    });
  }

  /* ------------------------------------------------------------------ the worker and its watchdog */

  var worker = null, ready = null, queue = Promise.resolve(), seq = 0;
  var current = null;  // the check in flight: {id, source, lang, stops, step, timer, resolve, reject}

  function fileRefused() {
    return location.protocol === "file:";
  }

  function start() {
    if (fileRefused()) {
      ready = Promise.reject(new Error(config.texts.file.en));
      ready.catch(function () {});
      return ready;
    }
    worker = new Worker(base + "practice-worker.js", { type: "module" });
    ready = new Promise(function (resolve, reject) {
      worker.onmessage = function (event) {
        var msg = event.data;
        if (msg.type === "ready") resolve();
        else if (msg.type === "watch") watch(msg.step, msg.seconds);
        else if (msg.type === "result") finish(msg);
        else if (msg.type === "fatal") {
          if (current && current.step) stopped(current.step, "crash");
          else if (current) fail(new Error(msg.message));
          else reject(new Error(msg.message));
        }
      };
      worker.onerror = function (event) {
        event.preventDefault();
        if (current && current.step) stopped(current.step, "crash");
        else reject(new Error(event.message || "the practice worker could not start"));
      };
    });
    worker.postMessage({ type: "boot", base: base });
    return ready;
  }

  function watch(step, seconds) {
    if (!current) return;
    clearTimeout(current.timer);
    current.step = step;
    if (step) current.timer = setTimeout(function () { stopped(step, "timeout"); }, seconds * 1000);
  }

  /* Student code ran past its limit (or ended the interpreter): stop this worker, start another and
     grade again; the grader reports that step as the CLI reports a child killed there. */
  function stopped(step, kind) {
    var check = current;
    if (!check) return;
    clearTimeout(check.timer);
    worker.terminate();
    worker = null;
    check.stops[step] = kind;  // the grader words it as the CLI words a child that ended there
    check.step = null;
    if (Object.keys(check.stops).length > 50) return fail(new Error("the practice worker was stopped too often"));
    status("restarting");
    start().then(function () { send(check); }, fail);
  }

  function send(check) {
    worker.postMessage({
      type: "check", id: check.id, base: base, exercise: config.exercise,
      source: check.source, lang: check.lang, stops: check.stops
    });
  }

  function finish(msg) {
    var check = current;
    if (!check || msg.id !== check.id) return;
    clearTimeout(check.timer);
    current = null;
    check.resolve(JSON.parse(msg.out));
  }

  function fail(err) {
    var check = current;
    current = null;
    if (check) { clearTimeout(check.timer); check.reject(err); }
  }

  /* Everything a check gives: result (grade submit --json), text (the report, ko and en), diagram. */
  function run(source, language) {
    var job = queue.then(function () {
      if (!worker) start();
      return ready.then(function () {
        return new Promise(function (resolve, reject) {
          current = { id: ++seq, source: String(source), lang: language || lang(), stops: {}, step: null,
                      timer: null, resolve: resolve, reject: reject };
          send(current);
        });
      });
    });
    queue = job.catch(function () {});
    return job;
  }

  window.gradePractice = {
    check: function (source, language) {
      return run(source, language).then(function (out) { return out.result; });
    },
    report: run
  };

  /* ------------------------------------------------------------------ the panel */

  var opener = panel.querySelector(".practice-open");
  var body = panel.querySelector(".practice-body");
  var statusNode = panel.querySelector(".practice-status");
  var reportNode = panel.querySelector(".practice-report");
  var editor = null;

  function status(key) {
    if (statusNode && config.texts[key]) say(statusNode, config.texts[key]);
  }

  function draft() {
    try { return window.localStorage.getItem(storageKey); } catch (e) { return null; }
  }

  function keep(text) {
    try { window.localStorage.setItem(storageKey, text); } catch (e) { /* storage off: nothing kept */ }
  }

  function text() {
    return editor ? editor.state.doc.toString() : (draft() || config.stub[lang()]);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }

  function openEditor() {
    opener.disabled = true;
    if (fileRefused()) {
      panel.querySelector(".practice-file").hidden = false;
      return;
    }
    status("loading");
    start().then(function () { status("ready"); }, function (err) { show(err); });
    loadScript(base + "vendor/codemirror/codemirror.js").then(function () {
      var E = window.GradeEditor;
      editor = new E.EditorView({
        parent: panel.querySelector(".practice-editor"),
        state: E.EditorState.create({
          doc: draft() || config.stub[lang()],
          extensions: [
            E.basicSetup, E.python(), E.keymap.of([E.indentWithTab]),
            E.EditorView.contentAttributes.of({ "aria-label": config.texts.editor[lang()] }),
            E.EditorView.updateListener.of(function (u) { if (u.docChanged) keep(u.state.doc.toString()); })
          ]
        })
      });
      body.hidden = false;
      panel.querySelector(".practice-closed").hidden = true;
      editor.focus();
    }, show);
  }

  function show(err) {
    status("failed");
    reportNode.hidden = false;
    reportNode.textContent = String(err && err.message || err);
  }

  function lightUp(diagram) {
    var figure = document.querySelector("figure.diagram .scroll");
    if (!figure) return;
    if (!figure.dataset.original) figure.dataset.original = figure.innerHTML;
    // The SVG is drawn by the grader's own diagram module, which escapes every text it writes.
    figure.innerHTML = diagram ? diagram.svg : figure.dataset.original;
  }

  function check() {
    var button = panel.querySelector(".practice-check");
    button.disabled = true;
    status("checking");
    var t0 = performance.now();
    run(text()).then(function (out) {
      reportNode.hidden = false;
      reportNode.textContent = "";
      ["ko", "en"].forEach(function (l) {
        var block = document.createElement("div");
        block.className = "i18n";
        block.lang = l;
        block.textContent = out.text[l];
        reportNode.appendChild(block);
      });
      lightUp(out.diagram);
      say(statusNode, {
        ko: "채점 완료 (" + Math.round(performance.now() - t0) + " ms)",
        en: "Checked (" + Math.round(performance.now() - t0) + " ms)"
      });
      reportNode.focus();
    }, show).then(function () { button.disabled = false; });
  }

  function download() {
    var blob = new Blob([text()], { type: "text/x-python" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  function reset() {
    if (!editor) return;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: config.stub[lang()] } });
    lightUp(null);
  }

  opener.addEventListener("click", openEditor);
  panel.querySelector(".practice-check").addEventListener("click", check);
  panel.querySelector(".practice-download").addEventListener("click", download);
  panel.querySelector(".practice-reset").addEventListener("click", reset);
  panel.hidden = false;
})();

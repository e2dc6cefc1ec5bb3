/* A quiz's practice page: a practice variant drawn and graded by the grader's own quiz code, in the
   practice Web Worker (practice-worker.js, Pyodide). Practice variants are drawn from the documented
   practice secret, as `grade quiz` draws them without GRADE_SECRET; the seed (a student id such as
   practice-1) is picked here, so the same variant can be answered with
   `grade quiz QUIZ --student practice-1`. Nothing is sent anywhere.

   window.gradeQuiz.draw(student)            -> Promise of {ko, en}: the variant as `grade quiz --json` shows it
   window.gradeQuiz.check(answers, language) -> Promise of the object `grade quiz QUIZ --answers FILE --json`
                                                prints for {student, answers} (the variant on the page) */
(function () {
  "use strict";
  var panel = document.getElementById("quiz-practice");
  var configNode = document.getElementById("quiz-practice-config");
  if (!panel || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var base = new URL(config.root + "static/", document.baseURI).href;
  var T = config.texts;
  var storageKey = "grade-quiz-variant:" + config.quiz;

  function lang() {
    return document.documentElement.getAttribute("data-lang") === "ko" ? "ko" : "en";
  }

  function spans(node, pair, tag) {  // a text in both languages; the page shows one and switches in place
    ["ko", "en"].forEach(function (l) {
      var span = document.createElement(tag || "span");
      span.className = "i18n";
      span.lang = l;
      span.textContent = pair[l];
      node.appendChild(span);
    });
    return node;
  }

  function say(node, pair) {
    node.textContent = "";
    spans(node, pair);
  }

  /* ------------------------------------------------------------------ the worker */

  var worker = null, ready = null, seq = 0, waiting = {};

  function start() {
    if (ready) return ready;
    if (location.protocol === "file:") {
      ready = Promise.reject(new Error(T.file.en));
      return ready;
    }
    worker = new Worker(base + "practice-worker.js", { type: "module" });
    ready = new Promise(function (resolve, reject) {
      worker.onmessage = function (event) {
        var msg = event.data, job = waiting[msg.id];
        if (msg.type === "ready") resolve();
        else if (msg.type === "result" && job) { delete waiting[msg.id]; job.resolve(JSON.parse(msg.out)); }
        else if (msg.type === "fatal") {
          if (job) { delete waiting[msg.id]; job.reject(new Error(msg.message)); } else reject(new Error(msg.message));
        }
      };
      worker.onerror = function (event) {
        event.preventDefault();
        reject(new Error(event.message || "the practice worker could not start"));
      };
    });
    worker.postMessage({ type: "boot", base: base });
    return ready;
  }

  function ask(msg) {
    return start().then(function () {
      return new Promise(function (resolve, reject) {
        msg.id = ++seq;
        msg.base = base;
        msg.quiz = config.quiz;
        waiting[msg.id] = { resolve: resolve, reject: reject };
        worker.postMessage(msg);
      });
    });
  }

  /* ------------------------------------------------------------------ the page */

  var form = panel.querySelector(".quiz-form");
  var list = panel.querySelector(".quiz-questions");
  var statusNode = panel.querySelector(".practice-status");
  var totalNode = panel.querySelector(".quiz-total");
  var student = null, variant = null;

  function seed() {
    var n = new Uint32Array(1);
    window.crypto.getRandomValues(n);
    return "practice-" + (n[0] % 1000000);
  }

  function kept() {
    try { return window.localStorage.getItem(storageKey); } catch (e) { return null; }
  }

  function keep(value) {
    try { window.localStorage.setItem(storageKey, value); } catch (e) { /* storage off: nothing kept */ }
  }

  function draw(who) {
    return ask({ type: "quiz-draw", student: String(who) }).then(function (drawn) {
      student = String(who);
      variant = drawn;
      keep(student);
      render();
      return drawn;
    });
  }

  function render() {
    list.textContent = "";
    totalNode.textContent = "";
    var expressions = false;
    variant.en.questions.forEach(function (en, i) {
      var ko = variant.ko.questions[i];
      var li = document.createElement("li");
      li.id = "quiz-q-" + en.id;
      li.dataset.question = en.id;
      li.dataset.kind = en.kind;
      var textId = "quiz-text-" + en.id;
      var points = " (" + en.score + " " + T.points.en + ")";
      var text = { ko: ko.text + " (" + en.score + T.points.ko + ")", en: en.text + points };
      var p = spans(document.createElement("p"), text);
      p.id = textId;
      li.appendChild(p);
      if (en.kind === "choice") {
        var set = document.createElement("div");  // a group named by the question's text
        set.setAttribute("role", en.multiple ? "group" : "radiogroup");
        set.setAttribute("aria-labelledby", textId);
        en.choices.forEach(function (c, j) {
          var label = document.createElement("label");
          label.className = "quiz-choice";
          var input = document.createElement("input");
          input.type = en.multiple ? "checkbox" : "radio";
          input.name = "q-" + en.id;
          input.value = String(j);
          label.appendChild(input);
          spans(label, { ko: ko.choices[j], en: c });
          set.appendChild(label);
        });
        li.appendChild(set);
      } else if (en.kind === "numeric") {
        var field = document.createElement("input");
        field.type = "text";
        field.name = "q-" + en.id;
        field.autocomplete = "off";
        field.spellcheck = false;
        field.setAttribute("aria-labelledby", textId);
        li.appendChild(field);
      } else {  // an expression: answered with grade quiz (sympy is not in the site)
        expressions = true;
        li.appendChild(spans(document.createElement("p"), T.expression_note)).className = "muted";
      }
      var verdict = document.createElement("div");
      verdict.className = "quiz-verdict";
      verdict.hidden = true;
      li.appendChild(verdict);
      list.appendChild(li);
    });
    say(panel.querySelector(".quiz-variant"), { ko: T.variant.ko + ": " + student, en: T.variant.en + ": " + student });
    panel.querySelector(".quiz-expression-note").hidden = !expressions;
    panel.querySelector(".quiz-command").textContent = "grade quiz " + config.quiz + " --student " + student;
  }

  /* The answers as an answers file holds them: a number as typed, a choice's shown position(s). */
  function answers() {
    var out = {};
    variant.en.questions.forEach(function (q) {
      var inputs = form.querySelectorAll('[name="q-' + q.id + '"]');
      if (q.kind === "numeric") {
        if (inputs[0].value.trim()) out[q.id] = inputs[0].value;
      } else if (q.kind === "choice") {
        var picked = [];
        inputs.forEach(function (input) { if (input.checked) picked.push(Number(input.value)); });
        if (picked.length) out[q.id] = q.multiple ? picked : picked[0];
      }
    });
    return out;
  }

  function grade(given, language) {
    return ask({ type: "quiz-grade", student: student, answers: given, lang: language || lang() });
  }

  function show(out) {
    var byId = {};
    out.result.questions.forEach(function (q, i) { byId[q.id] = { q: q, i: i }; });
    list.querySelectorAll("li[data-question]").forEach(function (li) {
      var found = byId[li.dataset.question], node = li.querySelector(".quiz-verdict");
      node.textContent = "";
      if (!found || li.dataset.kind === "expression") { node.hidden = true; return; }
      var q = found.q;
      node.hidden = false;
      node.dataset.status = q.status;
      var word = T["status_" + q.status] || { ko: q.status, en: q.status };
      var head = document.createElement("span");
      head.className = "quiz-status";
      spans(head, { ko: word.ko + " · " + q.score + "/" + q.max_score + T.points.ko,
                    en: word.en + " · " + q.score + "/" + q.max_score + " " + T.points.en });
      node.appendChild(head);
      var message = document.createElement("span");
      message.className = "quiz-message";
      spans(message, { ko: out.messages.ko[found.i], en: out.messages.en[found.i] });
      node.appendChild(message);
      if (q.explanation) node.appendChild(spans(document.createElement("p"), q.explanation));
    });
    var r = out.result;
    say(totalNode, { ko: T.score.ko + ": " + r.score + " / " + r.max_score, en: T.score.en + ": " + r.score + " / " + r.max_score });
  }

  function failed(err) {
    say(statusNode, T.failed);
    totalNode.textContent = String(err && err.message || err);
  }

  function busy(on) {
    form.querySelectorAll("button").forEach(function (b) { b.disabled = on; });
  }

  window.gradeQuiz = {
    draw: draw,
    check: function (given, language) { return grade(given || {}, language).then(function (out) { return out.result; }); },
    student: function () { return student; }
  };

  function open() {
    var opener = panel.querySelector(".practice-open");
    opener.disabled = true;
    if (location.protocol === "file:") { panel.querySelector(".practice-file").hidden = false; return; }
    say(statusNode, T.loading);
    draw(kept() || "practice-1").then(function () {
      form.hidden = false;
      panel.querySelector(".practice-closed").hidden = true;
      say(statusNode, T.ready);
      var first = list.querySelector("input");
      if (first) first.focus();
    }, function (err) { form.hidden = false; failed(err); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    busy(true);
    say(statusNode, T.checking);
    var t0 = performance.now();
    grade(answers()).then(function (out) {
      show(out);
      var ms = Math.round(performance.now() - t0);
      say(statusNode, { ko: "채점 완료 (" + ms + " ms)", en: "Checked (" + ms + " ms)" });
      totalNode.focus();
    }, failed).then(function () { busy(false); });
  });
  panel.querySelector(".quiz-new").addEventListener("click", function () {
    busy(true);
    draw(seed()).then(function () { say(statusNode, T.ready); }, failed).then(function () { busy(false); });
  });
  panel.querySelector(".practice-open").addEventListener("click", open);
  panel.hidden = false;
})();

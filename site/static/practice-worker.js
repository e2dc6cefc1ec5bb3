/* The practice panel's Web Worker (a module worker): Pyodide runs the grader's own modules (static/practice/grader.zip)
   and the student's draft in this worker, which is their own sandbox. The page stops it when a step
   of student code runs past its time limit (see practice.js), then grades again in a new worker. */
import { loadPyodide } from "./vendor/pyodide/pyodide.mjs";

let browser = null;          // the Python module grader.site.browser
const loaded = new Set();    // exercises handed to Python already

async function boot(base) {
  const pyodide = await loadPyodide({ indexURL: base + "vendor/pyodide/" });
  const zip = await (await fetch(base + "practice/grader.zip")).arrayBuffer();
  pyodide.unpackArchive(zip, "zip", { extractDir: "/grader" });
  pyodide.runPython("import sys; sys.path.insert(0, '/grader')");
  browser = pyodide.pyimport("grader.site.browser");
  browser.use_in_process_children((step, seconds) => {
    self.postMessage({ type: "watch", step: step === undefined ? null : step, seconds: seconds || 0 });
  });
}

async function exercise(base, id) {
  if (loaded.has(id)) return;
  const response = await fetch(base + "practice/exercises/" + encodeURIComponent(id) + ".json");
  if (!response.ok) throw new Error("no practice data for " + id + " (" + response.status + ")");
  browser.add_exercise(await response.text());
  loaded.add(id);
}

self.onmessage = async (event) => {
  const msg = event.data;
  try {
    if (msg.type === "boot") {
      await boot(msg.base);
      self.postMessage({ type: "ready" });
    } else if (msg.type === "check") {
      await exercise(msg.base, msg.exercise);
      const out = browser.check(msg.exercise, msg.source, msg.lang, JSON.stringify(msg.stops));
      self.postMessage({ type: "result", id: msg.id, out: out });
    }
  } catch (err) {
    // A Python exception escaping the grader, or Pyodide itself stopped by the student's code
    // (os._exit): the page treats it as the end of this worker.
    self.postMessage({ type: "fatal", id: msg.id, message: String(err && err.message || err) });
  }
};

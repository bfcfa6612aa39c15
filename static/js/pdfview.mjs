// PDF engine for tablets that can run pdf.js (vendored legacy build, Chrome 110+): renders
// one page at a time into #viewer-pages. tablet.js owns the viewer's buttons and calls this
// through window.ECabinetPdf; older tablets never load this module (or fail its checks) and
// get the server's page images instead (pageview.js).
import * as pdfjsLib from "../vendor/pdfjs/legacy/build/pdf.min.mjs";

const VENDOR = new URL("../vendor/pdfjs/", import.meta.url).href;
pdfjsLib.GlobalWorkerOptions.workerSrc = `${VENDOR}legacy/build/pdf.worker.min.mjs`;

const ZOOMS = [1, 1.25, 1.5, 2, 3];
// One worker for the page's life, started (warm) while the network is there: a document
// read ahead must open with the Wi-Fi down, and the worker script is 1.3 MB to fetch.
let worker = null;
function warm() {
  worker ??= new pdfjsLib.PDFWorker({ name: "ecabinet-pdf" });
  return worker;
}
const pages = document.getElementById("viewer-pages");
let current = { doc: null, task: null, page: 1, zoom: 0, rendering: null };

async function renderPage(number) {
  const { doc } = current;
  if (!doc) return current.page;
  current.page = Math.min(Math.max(number, 1), doc.numPages);
  const page = await doc.getPage(current.page);
  const base = page.getViewport({ scale: 1 });
  const ratio = window.devicePixelRatio || 1;
  const width = Math.min(pages.clientWidth || window.innerWidth, 1600) * ZOOMS[current.zoom];
  const viewport = page.getViewport({ scale: (width / base.width) * ratio });
  const canvas = document.createElement("canvas");
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
  if (current.rendering) current.rendering.cancel();
  const task = page.render({ canvasContext: canvas.getContext("2d"), canvas, viewport });
  current.rendering = task;
  try {
    await task.promise;
  } catch (error) {
    if (error?.name === "RenderingCancelledException") return current.page;
    throw error;
  }
  current.rendering = null;
  pages.replaceChildren(canvas);
  return current.page;
}

// `cached`: the URL is immutable and was fetched ahead (precache): read it with one plain GET,
// which the browser's HTTP cache answers even with the Wi-Fi down.
async function open(url, page = 1, { cached = false } = {}) {
  await close();
  const task = pdfjsLib.getDocument({
    url,
    cMapUrl: `${VENDOR}cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${VENDOR}standard_fonts/`,
    wasmUrl: `${VENDOR}wasm/`,
    iccUrl: `${VENDOR}iccs/`,
    withCredentials: true,
    isEvalSupported: false, // the page's CSP has no unsafe-eval
    worker: warm(),
    disableRange: cached,
    disableStream: cached,
  });
  current.task = task;
  current.doc = await task.promise;
  await renderPage(page);
  return { pages: current.doc.numPages, page: current.page };
}

async function close() {
  const { task } = current;
  current = { doc: null, task: null, page: 1, zoom: current.zoom, rendering: null };
  if (task) await task.destroy(); // the loading task owns the document (pdf.js 5+)
}

function supported() {
  // What the legacy build needs beyond module scripts (Chrome 110+): fail here, not mid-read.
  return (
    typeof structuredClone === "function" &&
    typeof Array.prototype.findLast === "function" &&
    typeof ReadableStream === "function" &&
    typeof OffscreenCanvas === "function"
  );
}

window.ECabinetPdf = {
  supported: supported(),
  open,
  close,
  goTo: (page) => renderPage(page),
  zoom: (step) => {
    current.zoom = Math.min(Math.max(current.zoom + step, 0), ZOOMS.length - 1);
    return renderPage(current.page).then(() => ZOOMS[current.zoom]);
  },
  page: () => current.page,
  warm,
};
document.dispatchEvent(new Event("ecabinet:pdf-ready"));

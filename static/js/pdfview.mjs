// PDF viewer for tablets: pdf.js (vendored, legacy build) renders one page at a time.
import * as pdfjsLib from "../vendor/pdfjs/legacy/build/pdf.min.mjs";

const VENDOR = new URL("../vendor/pdfjs/", import.meta.url).href;
pdfjsLib.GlobalWorkerOptions.workerSrc = `${VENDOR}legacy/build/pdf.worker.min.mjs`;

const viewer = document.getElementById("viewer");
const pages = document.getElementById("viewer-pages");
const pageLabel = document.getElementById("viewer-page");
let current = { doc: null, page: 1, task: null };

async function renderPage(number) {
  const { doc } = current;
  if (!doc) return;
  current.page = Math.min(Math.max(number, 1), doc.numPages);
  const page = await doc.getPage(current.page);
  const base = page.getViewport({ scale: 1 });
  const width = Math.min(pages.clientWidth || window.innerWidth, 1600);
  const scale = (width / base.width) * (window.devicePixelRatio || 1);
  const viewport = page.getViewport({ scale });
  const canvas = document.createElement("canvas");
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / (window.devicePixelRatio || 1))}px`;
  await page.render({ canvasContext: canvas.getContext("2d"), canvas, viewport }).promise;
  pages.replaceChildren(canvas);
  pageLabel.textContent = `${current.page}/${doc.numPages}`;
  viewer.dataset.page = String(current.page);
}

async function open(url, title) {
  document.getElementById("viewer-title").textContent = title;
  viewer.hidden = false;
  viewer.dataset.state = "loading";
  pages.replaceChildren();
  if (current.doc) await current.doc.destroy();
  current = { doc: null, page: 1 };
  try {
    current.doc = await pdfjsLib.getDocument({
      url,
      cMapUrl: `${VENDOR}cmaps/`,
      cMapPacked: true,
      standardFontDataUrl: `${VENDOR}standard_fonts/`,
      wasmUrl: `${VENDOR}wasm/`,
      iccUrl: `${VENDOR}iccs/`,
      withCredentials: true,
    }).promise;
    viewer.dataset.pages = String(current.doc.numPages);
    await renderPage(1);
    viewer.dataset.state = "ready";
  } catch (error) {
    viewer.dataset.state = "error";
    const message = document.createElement("p");
    message.className = "error";
    message.textContent = "Không mở được tài liệu. Vui lòng thử lại.";
    pages.replaceChildren(message);
    console.error(error);
  }
}

function close() {
  viewer.hidden = true;
  if (current.doc) current.doc.destroy();
  current = { doc: null, page: 1 };
}

document.getElementById("viewer-close").addEventListener("click", close);
document.getElementById("viewer-prev").addEventListener("click", () => renderPage(current.page - 1));
document.getElementById("viewer-next").addEventListener("click", () => renderPage(current.page + 1));

window.ECabinetPdf = { supported: true, open };

// Edit Taxpayer / Spouse Signature: signature_pad (npm, served from /static/vendor/) on a
// canvas sized in device pixels, so strokes stay sharp on high-density screens. Save posts
// the PNG bytes with the CSRF header; the server checks them again.
import SignaturePad from "/static/vendor/signature_pad.js";

const data = JSON.parse(document.getElementById("signature-data").textContent);
const texts = data.texts;
const csrf = data.csrf;
const canvas = document.getElementById("signature-pad");
const status = document.getElementById("signature-status");
const saveButton = document.getElementById("signature-save");
// the server takes at most 3000 x 1500 pixels: a very dense screen draws at a lower ratio
const MAX_WIDTH = 3000;
const MAX_HEIGHT = 1500;

// touch-action: none (set by signature_pad and app.css) keeps the page from scrolling
const pad = new SignaturePad(canvas, { penColor: "rgb(0, 0, 0)", minWidth: 1, maxWidth: 3 });
let drawnWidth = 0;

function show(message, kind) {
  status.textContent = message;
  status.className = message ? `notice ${kind}` : "";
}

function resize() {
  const width = canvas.offsetWidth;
  const height = canvas.offsetHeight;
  if (!width || width === drawnWidth) return; // a phone's address bar moving: keep the drawing
  const ratio = Math.min(window.devicePixelRatio || 1, MAX_WIDTH / width, MAX_HEIGHT / height);
  const strokes = pad.toData();
  canvas.width = Math.floor(width * ratio);
  canvas.height = Math.floor(height * ratio);
  canvas.getContext("2d").scale(ratio, ratio);
  pad.clear();
  pad.fromData(strokes);
  drawnWidth = width;
}

async function save() {
  if (pad.isEmpty()) {
    show(texts.empty, "error");
    return;
  }
  saveButton.disabled = true;
  show(texts.saving, "");
  try {
    const png = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    const response = await fetch(data.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "image/png", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: png,
    });
    const answer = await response.json().catch(() => ({}));
    show(answer.message || (response.ok ? texts.saved : texts.failed), response.ok ? "ok" : "error");
  } catch {
    show(texts.failed, "error");
  } finally {
    saveButton.disabled = false;
  }
}

pad.addEventListener("beginStroke", () => show("", ""));
document.getElementById("signature-clear").addEventListener("click", () => {
  pad.clear();
  show(texts.cleared, "");
});
saveButton.addEventListener("click", save);
window.addEventListener("resize", resize);
resize();

// My Files: the upload window (drop, pick, camera; one streamed request per file with its
// own progress bar) and the remove confirmation. Without this script the plain form works.
const dataBlock = document.getElementById("my-files-data");
const uploadDialog = document.getElementById("upload-dialog");
const removeDialog = document.getElementById("remove-dialog");
const removeForm = document.getElementById("remove-form");
let confirmed = null; // what Remove in the dialog does when the upload window asked

// Remove asks first, from the list and from the upload window alike: the same dialog.
const askRemove = (name, action, onConfirm = null) => {
  removeForm.action = action; // the list's removal posts the form
  document.getElementById("remove-name").textContent = name;
  confirmed = onConfirm;
  removeDialog.showModal();
  removeDialog.querySelector("button.secondary").focus(); // Cancel first: removing is final
};
if (removeDialog) {
  removeForm.addEventListener("submit", (event) => {
    if (!confirmed) return;
    event.preventDefault(); // the upload window removes with fetch and stays open
    const remove = confirmed;
    confirmed = null;
    removeDialog.close();
    remove();
  });
  removeDialog.addEventListener("close", () => { confirmed = null; });
}

if (dataBlock && uploadDialog) {
  const data = JSON.parse(dataBlock.textContent);
  const texts = data.texts;
  // a function replacement: "$&", "$`" and "$'" in a file name stay as typed
  const fill = (text, name) => text.replace("%(name)s", () => name);
  const list = document.getElementById("upload-list");
  const announce = document.getElementById("upload-announce");
  const opener = document.getElementById("open-upload");
  const dropZone = document.getElementById("drop-zone");
  const parallel = 3; // files in flight at once; the rest wait their turn
  const waiting = [];
  let running = 0;
  let changed = false; // the list behind the window is out of date
  let rows = 0;

  document.getElementById("upload-form").hidden = true;
  opener.parentElement.hidden = false;
  opener.addEventListener("click", () => uploadDialog.showModal());
  const busy = () => running > 0 || waiting.length > 0;
  // A closed window shows the list again, brought up to date (once the uploads are done).
  const refreshIfClosed = () => {
    if (changed && !busy() && !uploadDialog.open) location.reload();
  };
  uploadDialog.addEventListener("close", () => {
    opener.focus();
    refreshIfClosed();
  });

  const say = (text) => {
    announce.textContent = "";
    setTimeout(() => { announce.textContent = text; }, 50); // re-announced even when equal
  };

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const newRow = (file) => {
    const row = element("li", "upload-item");
    const id = `upload-progress-${++rows}`;
    const label = element("label", "file-name", fill(texts.uploading, file.name));
    label.htmlFor = id;
    const bar = element("progress");
    bar.id = id;
    bar.max = 100;
    bar.value = 0;
    row.append(label, bar);
    list.append(row);
    return { row, bar };
  };

  const showError = (row, name, message) => {
    row.replaceChildren(element("bdi", "file-name", name), element("p", "upload-error", message));
    row.classList.add("failed");
    say(`${name}: ${message}`);
  };

  const showNote = (row, name, message) => {
    row.replaceChildren(element("bdi", "file-name", name), element("p", "upload-note", message));
    say(`${name}: ${message}`);
  };

  const showStored = (row, file, message) => {
    const remove = element("button", "secondary small", texts.remove);
    remove.type = "button";
    remove.setAttribute("aria-label", fill(texts.removeNamed, file.name));
    remove.addEventListener("click", () => {
      askRemove(file.name, file.remove, () => removeUploaded(row, file));
    });
    row.replaceChildren(
      element("bdi", "file-name", file.name),
      element("span", "file-meta", file.size),
      remove,
    );
    row.classList.add("done");
    say(`${file.name}: ${message}`);
  };

  const answerOf = (xhr) => {
    try {
      return JSON.parse(xhr.responseText);
    } catch {
      return null; // an error page, not the endpoint's JSON
    }
  };

  const send = (file, row, bar) => new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", data.uploadUrl); // the name rides in a header, never in the URL
    xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
    xhr.setRequestHeader("X-CSRF-Token", data.csrf);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
    });
    xhr.addEventListener("load", () => {
      const answer = answerOf(xhr);
      if (answer && answer.file && answer.status === "stored") {
        changed = true;
        showStored(row, answer.file, answer.message);
      } else if (answer && answer.status === "duplicate") {
        showNote(row, file.name, answer.message);
      } else if (answer && answer.message) {
        showError(row, file.name, answer.message);
      } else {
        const signedOut = xhr.status === 403 || xhr.responseURL.includes("/portal/login");
        showError(row, file.name, signedOut ? texts.expired : texts.failed);
      }
      resolve();
    });
    for (const failure of ["error", "abort", "timeout"]) {
      xhr.addEventListener(failure, () => {
        showError(row, file.name, texts.failed);
        resolve();
      });
    }
    xhr.send(file);
  });

  const next = () => {
    while (running < parallel && waiting.length) {
      const job = waiting.shift();
      running += 1;
      send(job.file, job.row, job.bar).then(() => {
        running -= 1;
        next();
        refreshIfClosed();
      });
    }
  };

  const uploadAll = (files) => {
    for (const file of files) {
      const { row, bar } = newRow(file);
      if (file.size > data.maxBytes) {
        showError(row, file.name, texts.tooLarge); // the server would refuse it too
        continue;
      }
      waiting.push({ file, row, bar });
    }
    next();
  };

  async function removeUploaded(row, file) {
    let answer = null;
    try {
      const response = await fetch(file.remove, {
        method: "POST",
        headers: { "X-CSRF-Token": data.csrf, Accept: "application/json" },
      });
      answer = await response.json().catch(() => null);
      if (response.ok) {
        changed = true;
        row.replaceChildren(element("span", "upload-note", fill(texts.removed, file.name)));
        row.classList.remove("done");
        say(fill(texts.removed, file.name));
        return;
      }
    } catch {
      // the network failed: said below
    }
    showError(row, file.name, (answer && answer.message) || texts.failed);
  }

  for (const button of uploadDialog.querySelectorAll("[data-pick]")) {
    const input = document.getElementById(button.dataset.pick);
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      uploadAll([...input.files]);
      input.value = ""; // the same file can be picked again
    });
  }

  // The whole window takes drops, so a file let go beside the zone is not opened instead.
  const hasFiles = (event) => [...event.dataTransfer.types].includes("Files");
  uploadDialog.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dropZone.classList.add("over");
  });
  uploadDialog.addEventListener("dragleave", (event) => {
    if (!uploadDialog.contains(event.relatedTarget)) dropZone.classList.remove("over");
  });
  uploadDialog.addEventListener("drop", (event) => {
    event.preventDefault();
    dropZone.classList.remove("over");
    uploadAll([...event.dataTransfer.files]);
  });
}

// Remove from the list: the confirmation dialog (without this script, a confirmation page).
if (removeDialog) {
  for (const link of document.querySelectorAll("a[data-remove]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      askRemove(link.dataset.name, link.getAttribute("href"));
    });
  }
}

for (const button of document.querySelectorAll("dialog [data-close]")) {
  button.addEventListener("click", () => button.closest("dialog").close());
}

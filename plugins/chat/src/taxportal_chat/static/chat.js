// The conversation, live: Send without reloading (Enter sends, Shift+Enter breaks a line),
// the other side's messages appear as they are posted, "Sent" turns "Seen". A WebSocket
// brings news; after a drop it reconnects with backoff and catches up by id through the
// feed, which it also polls while no socket is open. Without this script the form posts.
const chat = document.getElementById("chat");
// an earlier page (?before=) stays as it is: its Send posts and shows the newest page
if (chat && !new URLSearchParams(window.location.search).has("before")) start(chat);

function start(chat) {
  const data = chat.dataset;
  const side = data.side;
  const other = side === "taxpayer" ? "staff" : "taxpayer";
  const list = document.getElementById("chat-messages");
  const form = document.getElementById("chat-form");
  const box = form.elements.body;
  const token = form.elements.csrf_token.value;
  const announcer = document.getElementById("chat-announce");
  const pollMs = Math.max(500, Number(data.pollSeconds) * 1000 || 3000);
  const lang = document.documentElement.lang || undefined;
  const when = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  let lastId = Number(data.lastId) || 0;
  let readSent = lastId; // the page was read up to here when the server showed it
  let socket = null;
  let attempts = 0;
  let pollTimer = 0;
  let stopped = false;

  const localTime = (time) => {
    const at = new Date(time.dateTime);
    if (!Number.isNaN(at.getTime())) time.textContent = when.format(at);
  };
  list.querySelectorAll("time").forEach(localTime);

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function item(m) {
    const li = element("li", `chat-message chat-${m.author}${m.mine ? " chat-mine" : ""}`);
    li.id = `m-${m.id}`;
    li.dataset.id = m.id;
    if (m.author === "system") {
      li.append(element("p", "chat-system", m.system));
    } else {
      li.append(element("p", "chat-who", m.mine ? data.textYou : m.author_name));
      const body = element("div", "chat-body");
      body.innerHTML = m.html; // escaped by the server, links made there
      li.append(body);
      if (m.file_id) li.append(element("p", "chat-file", `${data.textAttached} ${m.file_name}`));
    }
    const meta = element("p", "chat-meta");
    const time = element("time");
    time.dateTime = m.at;
    localTime(time);
    meta.append(time);
    if (m.mine) {
      meta.append(" ");
      meta.append(element("span", "chat-state"));
    }
    li.append(meta);
    setState(li, m.seen);
    return li;
  }

  function setState(li, seen) {
    const state = li.querySelector(".chat-state");
    if (!state || state.dataset.state === "seen") return;
    state.dataset.state = seen ? "seen" : "sent";
    state.textContent = seen ? data.textSeen : data.textSent;
  }

  function add(m) {
    if (document.getElementById(`m-${m.id}`)) return false;
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    const later = [...list.children].find((li) => Number(li.dataset.id) > m.id);
    list.insertBefore(item(m), later || null);
    chat.querySelector(".chat-empty")?.remove();
    lastId = Math.max(lastId, m.id);
    if (m.author === other) seenUpTo(m.id); // whoever answers has read what came before
    if (!m.mine) {
      const who = m.author === "system" ? "" : m.author_name;
      announcer.textContent = `${data.textNew} ${who}: ${m.system || textOf(m.html)}`;
    }
    if (nearBottom || m.mine) list.lastElementChild.scrollIntoView({ block: "nearest" });
    return true;
  }

  function textOf(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    return holder.textContent;
  }

  function seenUpTo(id) {
    for (const li of list.querySelectorAll(".chat-mine")) {
      if (Number(li.dataset.id) <= id) setState(li, true);
    }
  }

  async function markRead() {
    if (document.visibilityState !== "visible" || lastId <= readSent || stopped) return;
    const upTo = lastId;
    readSent = upTo;
    try {
      await fetch(data.readUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
        body: JSON.stringify({ up_to: upTo }),
      });
    } catch {
      readSent = Math.min(readSent, upTo - 1); // try again with the next news
    }
  }

  async function catchUp() {
    for (let more = true; more && !stopped; ) {
      const response = await fetch(`${data.feedUrl}?after=${lastId}`, {
        headers: { Accept: "application/json", "X-Taxportal-Passive": "1" }, // no activity
      });
      if (response.redirected || response.status === 401 || response.status === 403) {
        stop(); // the session ended: the next click shows the sign-in
        return;
      }
      if (!response.ok) return;
      const feed = await response.json();
      feed.messages.forEach(add);
      seenUpTo(feed.read[other]);
      more = feed.more && feed.messages.length > 0;
    }
    markRead();
  }

  const safely = (work) => work().catch(() => {});

  function poll() {
    if (pollTimer || stopped) return;
    chat.dataset.live = "polling";
    pollTimer = window.setInterval(() => safely(catchUp), pollMs);
  }

  function stopPolling() {
    window.clearInterval(pollTimer);
    pollTimer = 0;
  }

  function stop() {
    stopped = true;
    chat.dataset.live = "off";
    stopPolling();
    if (socket) socket.close();
  }

  function connect() {
    if (stopped) return;
    if (typeof window.WebSocket !== "function") {
      poll(); // no WebSocket at all: the feed every few seconds
      return;
    }
    const url = new URL(data.socketUrl, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let opened = false;
    try {
      socket = new WebSocket(url);
    } catch {
      poll();
      return;
    }
    socket.addEventListener("open", () => {
      opened = true;
      attempts = 0;
      stopPolling();
      chat.dataset.live = "socket"; // how news arrives, for whoever looks (and the tests)
      safely(catchUp); // whatever came while it was down
    });
    socket.addEventListener("message", (event) => {
      let news;
      try {
        news = JSON.parse(event.data);
      } catch {
        return;
      }
      if (news.type === "message") {
        add(news.message);
        markRead();
      } else if (news.type === "read" && news.side === other) {
        seenUpTo(news.read_id);
      }
    });
    socket.addEventListener("close", (event) => {
      socket = null;
      if (event.code === 4401) {
        stop(); // signed out: no reconnecting
        return;
      }
      poll(); // until a socket is back
      if (opened) safely(catchUp);
      const delay = Math.min(10000, 500 * 2 ** attempts);
      attempts += 1;
      window.setTimeout(connect, delay / 2 + (Math.random() * delay) / 2);
    });
  }

  function showError(text) {
    let error = document.getElementById("chat-error");
    if (!error) {
      error = element("p", "notice error");
      error.id = "chat-error";
      error.setAttribute("role", "alert");
      form.insertBefore(error, form.firstElementChild.nextSibling);
    }
    error.textContent = text;
    box.setAttribute("aria-describedby", "chat-error");
    box.setAttribute("aria-invalid", "true");
  }

  function clearError() {
    document.getElementById("chat-error")?.remove();
    box.removeAttribute("aria-describedby");
    box.removeAttribute("aria-invalid");
  }

  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    sending = true;
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        headers: { Accept: "application/json" },
        // with a file input the form is multipart (its token in the action's query);
        // without one, plain fields
        body: form.enctype === "multipart/form-data" ? new FormData(form) : new URLSearchParams(new FormData(form)),
      });
    } catch {
      showError(data.textFailed);
      sending = false;
      return;
    }
    sending = false;
    const json = (response.headers.get("Content-Type") || "").includes("application/json");
    if (!json) {
      form.submit(); // not the answer this script expects (signed out?): post as without it
      return;
    }
    const answer = await response.json();
    if (response.ok) {
      clearError();
      box.value = "";
      const file = form.querySelector('input[type="file"]');
      if (file) file.value = "";
      add(answer.message);
      box.focus();
    } else {
      showError(answer.error);
    }
  });

  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") safely(catchUp);
  });
  window.addEventListener("pagehide", () => socket?.close(1000));
  connect();
}

// The client review page. The token is the page's fragment (…/review#<token>): browsers never
// send a fragment to the server, so it appears in no request line nor log. It is moved to
// sessionStorage and taken off the address bar, then sent in the X-Review-Token header.
"use strict";
(function () {
  var app = document.getElementById("app");
  var base = location.pathname.replace(/\/review\/?$/, "");
  var KEY = "postiz-review-token";
  var NAME_KEY = "postiz-reviewer-name";
  var token = location.hash.replace(/^#/, "");
  if (token) {
    try { sessionStorage.setItem(KEY, token); } catch (e) { /* private mode: keep it in memory */ }
    history.replaceState(null, "", location.pathname);
  } else {
    try { token = sessionStorage.getItem(KEY) || ""; } catch (e) { token = ""; }
  }
  var DEAD = "This review link has expired or was withdrawn. Ask for a new one.";
  var NETWORKS = {
    mastodon: "Mastodon", bluesky: "Bluesky", linkedin: "LinkedIn", linkedin_page: "LinkedIn page", x: "X",
    twitter: "X", facebook: "Facebook", instagram: "Instagram", threads: "Threads", youtube: "YouTube",
    tiktok: "TikTok", pinterest: "Pinterest", reddit: "Reddit", telegram: "Telegram", discord: "Discord",
    slack: "Slack", nostr: "Nostr", devto: "dev.to", medium: "Medium", wordpress: "WordPress", lemmy: "Lemmy"
  };
  var DECISIONS = { approved: "Approved", rejected: "Rejected", changes_requested: "Changes requested" };
  var STATUS = {
    draft: "Draft", pending_approval: "Waiting for approval", scheduled: "Scheduled", publishing: "Publishing",
    published: "Published", failed: "Failed", canceled: "Canceled"
  };
  var data = null;

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") n.textContent = attrs[k];
      else if (k === "class") n.className = attrs[k];
      else if (k.slice(0, 2) === "on") n.addEventListener(k.slice(2), attrs[k]);
      else n.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) n.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return n;
  }

  function when(iso) {
    if (!iso) return "No date yet";
    try {
      return new Intl.DateTimeFormat(undefined, {
        weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
        timeZone: data.time_zone, timeZoneName: "short"
      }).format(new Date(iso));
    } catch (e) { return new Date(iso).toString(); }
  }

  function showDead(message) {
    app.replaceChildren(el("div", { class: "card dead", role: "alert" }, [
      el("h1", { text: "This link no longer works" }), el("p", { text: message || DEAD })
    ]));
  }

  // Every call: the token in a header, the answer's words on failure.
  function call(method, path, body) {
    var opts = { method: method, headers: { "X-Review-Token": token }, credentials: "omit", cache: "no-store" };
    if (body) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch(base + path, opts).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (res.ok) return json;
        var err = (json && json.error) || {};
        var e = new Error(err.message || "Something went wrong (" + res.status + "). Try again.");
        e.status = res.status;
        e.fields = err.fields || [];
        throw e;
      });
    }, function () {
      throw new Error("The server could not be reached. Check your connection and try again.");
    });
  }

  function reviewerName() {
    var input = document.getElementById("reviewer-name");
    return input ? input.value.trim() : "";
  }

  function storedName() {
    try { return (localStorage.getItem(NAME_KEY) || "").trim(); } catch (e) { return ""; }
  }

  function nameBlock() {
    var stored = storedName();
    var input = el("input", { type: "text", id: "reviewer-name", autocomplete: "name", maxlength: "100", value: stored,
      "aria-describedby": "reviewer-name-hint" });
    input.addEventListener("change", function () { try { localStorage.setItem(NAME_KEY, input.value.trim()); } catch (e) { /* ignore */ } });
    return el("div", { class: "card" }, [
      el("label", { for: "reviewer-name", text: "Your name" }), input,
      el("p", { id: "reviewer-name-hint", class: "muted", text: "Shown to the team with your decisions and comments." })
    ]);
  }

  function targetView(t, media) {
    var who = t.display_name || t.handle || "";
    var avatar = t.avatar_url && /^https:/.test(t.avatar_url) ? el("img", { src: t.avatar_url, alt: "" }) : null;
    var items = (t.thread_items || []).filter(function (i) { return i && i.text; });
    return el("section", { class: "target", "aria-label": (NETWORKS[t.network] || t.network) + " " + who }, [
      el("div", { class: "network", text: NETWORKS[t.network] || t.network }),
      el("div", { class: "account" }, [avatar, el("span", { text: who })].concat(t.handle && t.display_name ? [el("span", { class: "muted", text: t.handle })] : [])),
      el("p", { class: "text", text: t.text }),
      media,
      items.length ? el("div", { class: "thread" }, [el("div", { class: "muted", text: "Then, in the thread:" })].concat(
        items.map(function (i) { return el("p", { class: "text", text: i.text }); }))) : null,
      t.first_comment ? el("div", { class: "thread" }, [el("div", { class: "muted", text: "First comment:" }), el("p", { class: "text", text: t.first_comment })]) : null
    ]);
  }

  function mediaView(list) {
    if (!list.length) return null;
    return el("div", { class: "media" }, list.map(function (m) {
      if (m.url && /^image\//.test(m.mime_type)) return el("img", { src: m.url, alt: m.alt_text || "Image" });
      if (m.url && /^video\//.test(m.mime_type)) return el("video", { src: m.url, controls: "", "aria-label": m.alt_text || "Video" });
      return el("div", { class: "file", text: (/^video\//.test(m.mime_type) ? "Video" : "Image") + (m.alt_text ? ": " + m.alt_text : "") });
    }));
  }

  // What the approval summary says, in flags only (the team's notes are never sent here).
  function approvalNote(a) {
    if (!a) return null;
    if (a.blocked) return el("p", { class: "muted", text: "Changes were asked for on this version; the team will edit it before it goes out." });
    if (a.required && !a.approved) return el("p", { class: "muted", text: "Waiting for the team's approval." });
    return null;
  }

  function postView(p, index) {
    var id = "post-" + index;
    var status = el("p", { class: "error", role: "alert", id: id + "-error" });
    var note = el("textarea", { id: id + "-note", maxlength: "5000", "aria-describedby": id + "-note-hint" });
    var comment = el("textarea", { id: id + "-comment", maxlength: "10000" });
    function send(path, body, button) {
      status.textContent = "";
      status.className = "error";
      if (!body.name) {
        status.textContent = "Type your name at the top first, so the team knows who answered.";
        document.getElementById("reviewer-name").focus();
        return;
      }
      button.disabled = true;
      try { localStorage.setItem(NAME_KEY, body.name); } catch (e) { /* ignore */ }
      call("POST", path, body).then(function (page) {
        data = page;
        render("Saved. Thank you, " + body.name + ".", index);
      }, function (e) {
        button.disabled = false;
        if (e.status === 410) return showDead(e.message);
        status.textContent = e.fields && e.fields.length ? e.fields.map(function (f) { return f.message; }).join(" ") : e.message;
      });
    }
    var approve = el("button", { type: "button", class: "primary", text: "Approve" });
    approve.addEventListener("click", function () {
      send("/review-link/posts/" + p.id + "/decisions", { decision: "approved", name: reviewerName(), round: p.round }, approve);
    });
    var changes = el("button", { type: "button", class: "danger", text: "Request changes" });
    changes.addEventListener("click", function () {
      if (!note.value.trim()) {
        status.textContent = "Note is required to request changes: say what should change.";
        note.focus();
        return;
      }
      send("/review-link/posts/" + p.id + "/decisions", { decision: "changes_requested", note: note.value, name: reviewerName(), round: p.round }, changes);
    });
    var reject = el("button", { type: "button", class: "danger", text: "Reject" });
    reject.addEventListener("click", function () {
      if (!note.value.trim()) {
        status.textContent = "Note is required to reject: say why.";
        note.focus();
        return;
      }
      send("/review-link/posts/" + p.id + "/decisions", { decision: "rejected", note: note.value, name: reviewerName(), round: p.round }, reject);
    });
    var addComment = el("button", { type: "button", text: "Comment" });
    addComment.addEventListener("click", function () {
      if (!comment.value.trim()) {
        status.textContent = "Comment is empty: write something first.";
        comment.focus();
        return;
      }
      send("/review-link/posts/" + p.id + "/comments", { body: comment.value, name: reviewerName() }, addComment);
    });
    var me = (reviewerName() || storedName()).toLowerCase();
    var answered = !!me && (p.decisions || []).some(function (d) {
      return d.current && (d.reviewer_name || "").trim().toLowerCase() === me;
    });
    var media = mediaView(p.media || []);
    var targets = p.targets.length ? p.targets.map(function (t, i) { return targetView(t, i === 0 ? media : mediaView(p.media || [])); })
      : [el("p", { class: "muted", text: "No account chosen yet." })];
    var log = (p.decisions || []).map(function (d) {
      return el("li", {}, [el("strong", { text: (DECISIONS[d.decision] || d.decision) + " by " + (d.reviewer_name || "a reviewer") }),
        d.current ? null : el("span", { class: "muted", text: " (an earlier version)" }),
        d.note ? el("div", { class: "text", text: d.note }) : null]);
    }).concat((p.comments || []).map(function (c) {
      return el("li", {}, [el("strong", { text: (c.reviewer_name || "A reviewer") + " commented" }), el("div", { class: "text", text: c.body })]);
    }));
    return el("article", { class: "card", id: id, "aria-labelledby": id + "-title" }, [
      el("h2", { id: id + "-title" }, [when(p.scheduled_at), el("span", { class: "state", text: STATUS[p.status] || p.status })]),
      approvalNote(p.approval)
    ].concat(targets).concat([
      log.length ? el("ul", { class: "log", "aria-label": "Answers so far" }, log) : null,
      answered ? el("p", { class: "muted", text: "You answered this version. If the team edits the post, you can answer again." }) :
      p.may_decide ? el("div", {}, [
        el("label", { for: id + "-note", text: "Note" }),
        note,
        el("p", { id: id + "-note-hint", class: "muted", text: "Required to request changes or reject." }),
        el("div", { class: "actions" }, [approve, changes, reject])
      ]) : el("p", { class: "muted", text: "This post can no longer be approved or sent back here; you can still comment." }),
      el("label", { for: id + "-comment", text: "Comment" }),
      comment,
      el("div", { class: "actions" }, [addComment]),
      status
    ]));
  }

  function render(message, focusIndex) {
    var range = data.range_start ? (data.range_start === data.range_end ? data.range_start : data.range_start + " to " + data.range_end) : null;
    var kept = reviewerName();
    var children = [
      el("h1", { text: data.label }),
      el("p", { class: "muted", text: data.workspace_name + (range ? " · posts of " + range : "") + " · times in " + data.time_zone +
        " · this link works until " + when(data.expires_at) }),
      nameBlock()
    ];
    if (!data.posts.length) children.push(el("p", { class: "card", text: "There are no posts to review in this link right now." }));
    data.posts.forEach(function (p, i) { children.push(postView(p, i)); });
    app.replaceChildren.apply(app, children);
    if (kept) document.getElementById("reviewer-name").value = kept;
    if (message != null && focusIndex != null) {
      var s = document.getElementById("post-" + focusIndex + "-error");
      if (s) { s.className = "done"; s.setAttribute("role", "status"); s.textContent = message; }
    }
  }

  if (!token) { showDead(DEAD); return; }
  call("GET", "/review-link").then(function (page) { data = page; render(); }, function (e) {
    if (e.status === 410) showDead(e.message);
    else app.replaceChildren(el("p", { class: "card error", role: "alert", text: e.message }));
  });
})();

// mcgen serve: renders maths with the bundled KaTeX; on the student page, the live preview and submitting.
"use strict";

function renderMath(root) {
  root.querySelectorAll(".tex").forEach(function (el) {
    renderMathInElement(el, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
      ],
      throwOnError: false,
    });
  });
  root.querySelectorAll(".math[data-tex]").forEach(function (el) {
    katex.render(el.dataset.tex, el, { throwOnError: false });
  });
}

function post(url, exercise, answer) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ exercise: exercise, answer: answer }),
    credentials: "omit",
  }).then(function (response) {
    return response.json().then(function (data) { return { status: response.status, data: data }; });
  });
}

function showPreview(box, answer, reply) {
  box.textContent = "";
  box.classList.toggle("error", !reply.ok);
  if (reply.ok) {
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = "read as";
    const maths = document.createElement("span");
    maths.className = "reading";
    katex.render(reply.latex, maths, { throwOnError: false });
    box.append(label, maths);
    return;
  }
  const message = document.createElement("span");
  message.textContent = reply.message;
  box.append(message);
  if (reply.column) {  // the answer with a caret under the column the reader stopped at
    const caret = document.createElement("span");
    caret.className = "caret";
    caret.textContent = answer + "\n" + " ".repeat(Math.max(0, reply.column - 1)) + "^";
    box.append(caret);
  }
}

function wire(form, base) {
  const exercise = form.dataset.exercise;
  const input = form.querySelector("input[name=answer]");
  const preview = form.querySelector(".preview");
  const verdict = form.querySelector(".verdict");
  const left = form.querySelector(".left");
  let timer = null;
  let asked = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      const answer = input.value;
      const ticket = ++asked;
      if (!answer.trim()) { preview.textContent = ""; preview.classList.remove("error"); return; }
      post(base + "/preview", exercise, answer).then(function (reply) {
        if (ticket !== asked) return;  // a newer keystroke's preview is on its way
        if (reply.status === 200) showPreview(preview, answer, reply.data);
      }).catch(function () {});
    }, 250);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    verdict.className = "verdict";
    verdict.textContent = "Grading…";
    post(base + "/answer", exercise, input.value).then(function (reply) {
      const data = reply.data;
      button.disabled = false;
      if (reply.status !== 200) {
        verdict.classList.add("wrong");
        verdict.textContent = data.error || "The answer was not accepted.";
        if (reply.status === 409) { input.disabled = true; button.disabled = true; }
        return;
      }
      const outcome = data.correct === true ? "correct" : data.correct === false ? "wrong" : "stored";
      verdict.classList.add(outcome);
      let text = "Attempt " + data.attempt + ": ";
      if (data.correct === false) text += (data.mistake ? "not right (" + data.mistake + "). " : "not right. ");
      text += data.feedback;
      if (data.score !== null && data.score !== undefined) text += " Score " + data.score + ".";
      verdict.textContent = text;
      const limit = parseInt(document.body.dataset.limit || "", 10);
      if (left) left.textContent = limit ? (limit - data.attempt) + " of " + limit + " attempts left"
                                         : data.attempt + (data.attempt === 1 ? " attempt" : " attempts") + " so far";
    }).catch(function () {
      button.disabled = false;
      verdict.classList.add("wrong");
      verdict.textContent = "The server could not be reached; your answer was not stored. Try again.";
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  renderMath(document.body);
  const base = document.body.dataset.base;
  if (base) document.querySelectorAll("form.answer").forEach(function (form) { wire(form, base); });
});

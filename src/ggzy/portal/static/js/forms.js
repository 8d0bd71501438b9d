// Every form that takes an irreversible step asks first: <form data-confirm="…">. The question names the step and
// what cannot be undone; "Cancel" leaves the page as it was, with nothing sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

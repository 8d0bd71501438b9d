// The opening summary (开标一览表) of a bid, checked in the page before anything is sealed (_bid_summary_fields.html).
// The same rules as ggzy.tendering.summary_form.check_summary: a required item present, amounts in 元 with at most
// two decimals (the price above zero), integers, days from 1 to 36500, percentages from 0 to 100, text up to 500
// characters. What is wrong is listed in the page, in its language (the messages come translated from the partial).
// The summary is never sent to the platform; window.ggzyBidSummary gives it to the sealing code (the local assistant).
(() => {
  const AMOUNT = /^[0-9]{1,14}(\.[0-9]{1,2})?$/;
  const INTEGER = /^-?[0-9]{1,16}$/;
  const PERCENT = /^[0-9]{1,3}(\.[0-9]{1,2})?$/;

  const problemOf = (input) => {
    const value = input.value.trim();
    const kind = input.dataset.summaryKind;
    if (!value) return input.hasAttribute("data-summary-required") ? "missing" : null;
    switch (kind) {
      case "amount":
        if (!AMOUNT.test(value)) return input.dataset.summaryKey === "price_fen" ? "price" : "amount";
        if (input.dataset.summaryKey === "price_fen" && toFen(value) <= 0n) return "price";
        return null;
      case "integer":
        return INTEGER.test(value) ? null : "integer";
      case "days":
        return /^[0-9]{1,5}$/.test(value) && Number(value) >= 1 && Number(value) <= 36500 ? null : "days";
      case "percentage":
        return PERCENT.test(value) && Number(value) <= 100 ? null : "percentage";
      default:
        return value.length <= 500 ? null : "text";
    }
  };

  // 元 as written (digits, at most two decimals) to integer fen, without floating point
  const toFen = (text) => {
    const [whole, fraction = ""] = text.trim().split(".");
    return BigInt(whole) * 100n + BigInt((fraction + "00").slice(0, 2));
  };

  const inputsOf = (root) => Array.from(root.querySelectorAll("[data-summary-key]"));

  const check = (root) => {
    const fieldset = root.matches("[data-bid-summary]") ? root : root.querySelector("[data-bid-summary]");
    if (!fieldset) return [];
    return inputsOf(fieldset)
      .map((input) => ({ input, code: problemOf(input) }))
      .filter((found) => found.code)
      .map(({ input, code }) => ({
        key: input.dataset.summaryKey,
        code,
        message: fieldset.dataset[`msg${code[0].toUpperCase()}${code.slice(1)}`].replace("{label}", input.dataset.summaryLabel),
        input,
      }));
  };

  const summary = (root) => {
    const result = {};
    for (const input of inputsOf(root)) {
      const value = input.value.trim();
      if (!value) continue;
      const kind = input.dataset.summaryKind;
      if (kind === "amount") {
        const fen = toFen(value);
        if (fen > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("amount too large for JSON");
        result[input.dataset.summaryKey] = Number(fen);
      } else if (kind === "integer" || kind === "days") result[input.dataset.summaryKey] = Number.parseInt(value, 10);
      else result[input.dataset.summaryKey] = value;
    }
    return result;
  };

  const show = (fieldset, problems) => {
    const list = fieldset.querySelector("[data-summary-problems]");
    list.replaceChildren();
    if (problems.length) {
      const heading = document.createElement("li");
      heading.textContent = fieldset.dataset.msgHeading;
      heading.className = "summary-problems-heading";
      list.append(heading);
    }
    for (const problem of problems) {
      const item = document.createElement("li");
      item.textContent = problem.message;
      list.append(item);
    }
    for (const input of inputsOf(fieldset)) {
      const problem = problems.find((found) => found.input === input);
      input.setAttribute("aria-invalid", problem ? "true" : "false");
      input.setCustomValidity(problem ? problem.message : "");
    }
  };

  document.querySelectorAll("[data-bid-summary]").forEach((fieldset) => {
    const form = fieldset.closest("form");
    if (form) form.noValidate = true; // our messages, in the page, instead of the browser's bubbles
    // Once the list is shown, an edited item is marked right or wrong at once; the list itself changes only at the
    // next attempt, so the button never moves under a finger between press and release.
    fieldset.addEventListener("change", (event) => {
      const input = event.target;
      if (!fieldset.querySelector("[data-summary-problems]").children.length || !input.dataset.summaryKey) return;
      const problem = check(fieldset).find((found) => found.input === input);
      input.setAttribute("aria-invalid", problem ? "true" : "false");
      input.setCustomValidity(problem ? problem.message : "");
    });
  });

  // Before any other submit handler (the sealing code's): a summary with problems stops the form, nothing is sealed.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const fieldset = form.querySelector("[data-bid-summary]");
    if (!fieldset) return;
    const problems = check(fieldset);
    show(fieldset, problems);
    if (problems.length) {
      event.preventDefault();
      event.stopImmediatePropagation();
      problems[0].input.focus();
    }
  }, true);

  window.ggzyBidSummary = { check, summary, show };
})();

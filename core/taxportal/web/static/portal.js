// Ticks off the password rules as the taxpayer types (the server checks the same rules).
for (const list of document.querySelectorAll("[data-rules-for]")) {
  const input = document.getElementById(list.dataset.rulesFor);
  if (!input) continue;
  const rules = [...list.querySelectorAll("li[data-pattern]")];
  const update = () => {
    for (const rule of rules) {
      const met = new RegExp(rule.dataset.pattern).test(input.value);
      rule.classList.toggle("met", met);
      rule.classList.remove("broken");
    }
  };
  input.addEventListener("input", update);
  if (input.value) update();
}

import { clearCache } from "hearth-llm";
import { DEFAULTS, loadSettings, saveSettings } from "./settings.js";

const $ = (id) => document.getElementById(id);
function show(s) {
  $("text-model").value = s.textModel;
  $("embed-model").value = s.embedModel;
  $("max-tokens").value = s.maxTokens;
}
show(await loadSettings());
$("settings").addEventListener("submit", async (e) => {
  e.preventDefault();
  await saveSettings({ textModel: $("text-model").value.trim(), embedModel: $("embed-model").value.trim(), maxTokens: Number($("max-tokens").value) || DEFAULTS.maxTokens });
  $("saved").textContent = "Saved. Reopen the side panel to use the new models.";
});
$("reset").addEventListener("click", () => show(DEFAULTS));
$("clear-cache").addEventListener("click", async () => {
  const n = await clearCache();
  $("saved").textContent = `Deleted ${n} cached file(s).`;
});

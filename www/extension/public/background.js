// The toolbar button opens the side panel for the current tab. Opening it from an onClicked
// listener (rather than setPanelBehavior({openPanelOnActionClick})) keeps Chrome's activeTab
// grant, which the panel needs to read the page with chrome.scripting; no host permissions.
chrome.action.onClicked.addListener((tab) => {
  chrome.sidePanel.open({ tabId: tab.id });
  chrome.storage.session.set({ lastTabId: tab.id });
});

// Alerts' storage (DESIGN.md §12): repositories are exported from here as they are written.
export {};

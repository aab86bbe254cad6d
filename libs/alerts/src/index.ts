// Alerts (DESIGN.md §12): evaluation on changed directions, signed webhook delivery, operators' alerts.
export {};

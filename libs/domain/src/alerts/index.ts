// Alerts' rules (DESIGN.md §12): conditions, crossings and signatures are exported from here as they are written.
export {};

/** Placeholder entry point; the example's modules are exported from here. */
export {};

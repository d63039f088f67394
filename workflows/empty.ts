/**
 * Does nothing: benchmarks start many of these to measure the Temporal server's own ceiling
 * (workflows/s with one workflow task each) on the machine they run on, so their figures compare
 * across machines.
 */
export async function emptyWorkflow(): Promise<void> {}

// The cost of entering a vm context with and without a `timeout`: Node runs each call that has one
// on a watchdog thread made for that call. The Temporal SDK enters the workflow sandbox this way
// several times per activation (a local patch skipping it was measured and not kept: docs/benchmarks.md,
// purchase section). Run: node bench/probes/vm-timeout.mjs
import vm from 'node:vm';

const CALLS = 20_000;
const context = vm.createContext({}, { microtaskMode: 'afterEvaluate' });
const script = new vm.Script('1 + 1');
for (const options of [{ timeout: 5000 }, {}, { timeout: 5000 }, {}]) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < CALLS; i++) script.runInContext(context, options);
  const used = process.cpuUsage(cpu);
  const label = options.timeout ? `timeout ${options.timeout} ms` : 'no timeout';
  console.log(
    `${label.padEnd(16)} ${(((performance.now() - started) / CALLS) * 1000).toFixed(1)} µs wall, ${((used.user + used.system) / CALLS).toFixed(1)} µs CPU per call`,
  );
}

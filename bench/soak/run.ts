// npm run soak: the system under steady load on all five journeys while its parts are killed and
// paused by a seeded schedule; invariants at the end; the report printed and written to
// docs/reliability.md (SOAK_DOCS=0: not written). Exits 1 if any invariant broke.
import path from 'node:path';
import { ROOT } from '../../test/support/context';
import { soakOptions } from './options';
import { printReport, writeReliabilityDoc } from './report';
import { runSoak } from './soak';

const vars = ['SOAK_SEED', 'SOAK_MINUTES', 'SOAK_FAULTS', 'SOAK_FAULT_RATE', 'SOAK_RATE', 'SOAK_RATES', 'SOAK_SETTLE_SECONDS'].filter((v) => process.env[v]);
const options = soakOptions(
  { SOAK_DOCS: path.join(ROOT, 'docs/reliability.md'), ...process.env },
  `${vars.map((v) => `${v}=${process.env[v]}`).join(' ')}${vars.length ? ' ' : ''}npm run soak`,
);
const result = await runSoak(options);
console.log(printReport(result));
if (options.docsPath) writeReliabilityDoc(result, options.docsPath);
process.exit(result.ok ? 0 : 1);

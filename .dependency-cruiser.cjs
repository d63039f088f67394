// Import rules checked by `npm test` (depcruise): no cycles between files, and the layering the
// README describes. Type-only imports count too: a cycle of types is still a tangle to read.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to read or load on their own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'activities-not-workflows',
      severity: 'error',
      comment: 'Activities share contracts/ with workflows, never workflow code.',
      from: { path: '^activities/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'workflows-stay-pure',
      severity: 'error',
      comment: 'Workflow code is deterministic: no I/O modules (types from contracts/, domain/ and stores/ are fine).',
      from: { path: '^workflows/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(api|consumers|gateway|platform|services|simulators|activities)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-consumers-into-api',
      severity: 'error',
      comment: 'Consumers, simulators, services and the runtime use services/ and stores/, not the HTTP layer (main.ts only starts the api role).',
      from: { path: '^(consumers|simulators|services|runtime)/' },
      to: { path: '^api/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.infra|\\.data|web/dist|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};

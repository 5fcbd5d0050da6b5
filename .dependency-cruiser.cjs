/**
 * Folder rules for src/ (checked in CI by `npm run check:deps`).
 * - no import cycles, runtime or type-only, between modules;
 * - the library (every folder but cli/) never imports the CLI;
 * - no module that nothing imports (except the entry points).
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules form a DAG, type-only imports included: move the shared type into its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'library-never-imports-cli',
      severity: 'error',
      comment: 'src/cli holds the yargs commands; library folders take typed options, not argv.',
      from: { path: '^src/(?!cli/)' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'A module nothing imports is dead code (entry points excepted).',
      from: { orphan: true, pathNot: ['^src/cli/main\\.ts$', '^src/index\\.ts$', '\\.d\\.ts$'] },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};

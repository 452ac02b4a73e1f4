/** The whole farm schema: one file per aggregate, row types derived from the tables. */
export * from './devices';
export * from './subnets';
export * from './artifacts';
export * from './sweeps';
export * from './jobs';
export * from './measurements';
export * from './twins';
export * from './accuracy';
export * from './search';

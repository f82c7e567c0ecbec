/** Input formats a parser exists for (the registry is src/parsers/create.ts). */
export const FORMATS = ['bind', 'zeek-tsv', 'zeek-json'] as const;
export type Format = (typeof FORMATS)[number];

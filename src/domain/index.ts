/** The domain layer: canonical order, normalisation and validation. Portal- and BRP-independent. */
export * from './canonical-order.js';
export * from './money.js';
export * from './personnummer.js';
export * from './organisationsnummer.js';
export * from './phone.js';
export * from './xml-text.js';
export * from './stockholm-date.js';
export * from './validate-order.js';

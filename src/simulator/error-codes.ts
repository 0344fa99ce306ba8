import { create } from 'xmlbuilder2';
import { builderText } from '../xml/builder-text.js';

/**
 * Every error the BRP simulator answers with, in one place. The body is always BRP's documented
 * error format (page 002):
 *
 *   <errors><error><message/><code/><debuginfo/></error></errors>
 *
 * with English messages. BRP does not publish its numeric codes; apart from 1111 (the doc's own
 * example, "Invalid settings configuration") these are the simulator's, stable so that tests and
 * the daemon's error classification can match them.
 *
 * | code | HTTP | name                   | when                                                                  |
 * |------|------|------------------------|-----------------------------------------------------------------------|
 * | 1001 | 400  | XSD_INVALID            | body does not validate against createpartnerorder.xsd (debuginfo: the XSD messages) |
 * | 1002 | 400  | XML_MALFORMED          | body is not well-formed XML                                           |
 * | 1003 | 400  | XML_DECLARATION        | body has a DOCTYPE/ENTITY declaration (refused before any XSD parser sees it) |
 * | 1004 | 404  | UNKNOWN_INSTANCE       | no BRP instance (customer) under that path prefix                     |
 * | 1005 | 404  | UNKNOWN_ENDPOINT       | no such web service (e.g. `createfooorder`, wrong path)               |
 * | 1006 | 415  | UNSUPPORTED_MEDIA_TYPE | Content-Type is not application/xml                                   |
 * | 1007 | 400  | ORIGIN_MISMATCH        | `<origin>` is not the portal of the endpoint called                   |
 * | 1008 | 413  | BODY_TOO_LARGE         | body larger than the simulator's limit                                |
 * | 1010 | 401  | INVALID_API_KEY        | `apikey` missing or wrong (also the `401` fault)                      |
 * | 1011 | 403  | ACCESS_DENIED          | `403` fault: key not allowed from this IP address                     |
 * | 1020 | 400  | UNKNOWN_BUSINESS_UNIT  | `businessunit/id` unknown to the instance                             |
 * | 1030 | 400  | UNKNOWN_PRODUCT        | an `orderitem/productnumber` is not sold at that business unit        |
 * | 1031 | 400  | RENEW_NOT_ALLOWED      | `renew` true but the instance has "Använd förnya i partnerorder" off  |
 * | 1032 | 400  | RENEW_NOT_SUBSCRIPTION | `renew` true on a product whose type is not `subscription`            |
 * | 1111 | 400  | INVALID_SETTINGS       | `refuse` fault: a valid order that BRP refuses (the doc's example)    |
 * | 1429 | 429  | TOO_MANY_REQUESTS      | `429` fault (with `Retry-After`)                                      |
 * | 1500 | 500  | INTERNAL_ERROR         | `500` fault, or an unexpected simulator error                         |
 *
 * The `503` fault answers with a short HTML page (like a load balancer in front of BRP), not XML.
 */
export const SIM_ERRORS = {
  XSD_INVALID: { code: 1001, status: 400, message: 'The request does not validate against createpartnerorder.xsd' },
  XML_MALFORMED: { code: 1002, status: 400, message: 'The request is not well-formed XML' },
  XML_DECLARATION: { code: 1003, status: 400, message: 'XML with a DOCTYPE or entity declaration is not accepted' },
  UNKNOWN_INSTANCE: { code: 1004, status: 404, message: 'Unknown BRP instance' },
  UNKNOWN_ENDPOINT: { code: 1005, status: 404, message: 'Unknown web service' },
  UNSUPPORTED_MEDIA_TYPE: { code: 1006, status: 415, message: 'Unsupported media type, use Content-Type: application/xml; charset=utf-8' },
  ORIGIN_MISMATCH: { code: 1007, status: 400, message: 'Origin does not match the partner of the web service called' },
  BODY_TOO_LARGE: { code: 1008, status: 413, message: 'Request body too large' },
  INVALID_API_KEY: { code: 1010, status: 401, message: 'Invalid api key' },
  ACCESS_DENIED: { code: 1011, status: 403, message: 'Access denied: api key not allowed from this IP address' },
  UNKNOWN_BUSINESS_UNIT: { code: 1020, status: 400, message: 'Unknown business unit' },
  UNKNOWN_PRODUCT: { code: 1030, status: 400, message: 'Unknown product' },
  RENEW_NOT_ALLOWED: { code: 1031, status: 400, message: 'Renew is not allowed in partner orders' },
  RENEW_NOT_SUBSCRIPTION: { code: 1032, status: 400, message: 'Renew is only allowed on subscriptions' },
  INVALID_SETTINGS: { code: 1111, status: 400, message: 'Invalid settings configuration' },
  TOO_MANY_REQUESTS: { code: 1429, status: 429, message: 'Too many requests' },
  INTERNAL_ERROR: { code: 1500, status: 500, message: 'Internal server error' },
} as const;

export type SimErrorName = keyof typeof SIM_ERRORS;

/** BRP's `<errors>` document with one `<error>`. `debuginfo` is always present (empty when there is nothing to add). */
export function errorsXml(name: SimErrorName, debuginfo = ''): string {
  const e = SIM_ERRORS[name];
  return create({ version: '1.0', encoding: 'UTF-8' })
    .ele('errors')
    .ele('error')
    .ele('message').txt(builderText(e.message)).up()
    .ele('code').txt(String(e.code)).up()
    .ele('debuginfo').txt(builderText(debuginfo)).up()
    .up()
    .up()
    .end({ prettyPrint: false });
}

export { boolAttr, ulongAttr, WireClient } from '../../src/pkcs11/client/wire-client.js';

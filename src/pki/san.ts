/** The Subject Alternative Name extension of requests and certificates, in and out of x509's representation. */
import { PkiError } from './errors.js';
import { checkDnsName, checkIpAddress, kofnUris, parseKofnUris, type RequestedNames } from './names.js';
import { x509 } from './provider.js';

const SAN_OID = '2.5.29.17';

export function sanExtension(names: RequestedNames): x509.SubjectAlternativeNameExtension {
  return new x509.SubjectAlternativeNameExtension([
    ...kofnUris(names).map((value) => ({ type: 'url' as const, value })),
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ]);
}

/**
 * Reads and checks the names of a request or certificate. Name forms other than URI, DNS and IP are refused:
 * a certificate of this cluster carries nothing that the cluster does not check.
 */
export function readSan(extensions: readonly x509.Extension[]): RequestedNames {
  const sans = extensions.filter((ext) => ext.type === SAN_OID);
  if (sans.length === 0) throw new PkiError('no Subject Alternative Name extension: the kofn identity is missing');
  if (sans.length > 1) throw new PkiError('more than one Subject Alternative Name extension');
  let items: x509.JsonGeneralNames;
  try {
    // Parsed afresh from DER: whatever class the extension arrived as, its names are read the same way.
    const [raw] = sans as [x509.Extension];
    items = new x509.SubjectAlternativeNameExtension(raw.rawData).names.toJSON();
  } catch {
    throw new PkiError('the Subject Alternative Name extension is malformed or holds an unsupported name form');
  }
  const uris: string[] = [];
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const { type, value } of items) {
    switch (type) {
      case 'url':
        uris.push(value);
        break;
      case 'dns':
        checkDnsName(value);
        dnsNames.push(value);
        break;
      case 'ip':
        checkIpAddress(value);
        ipAddresses.push(value);
        break;
      case 'dn':
      case 'email':
      case 'guid':
      case 'upn':
      case 'id':
        throw new PkiError(`Subject Alternative Name of type ${type} is not allowed in a kofn certificate`);
    }
  }
  return { ...parseKofnUris(uris), dnsNames, ipAddresses };
}

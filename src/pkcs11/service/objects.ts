/**
 * Applying the attribute table (attributes.ts) to templates: building a new object, copying and
 * changing one, reading values and matching a find template. The CKR codes follow PKCS#11 2.40
 * §5.7 (object management) and the footnotes of Table 10.
 */
import * as ck from '../ck.js';
import type { Attribute } from '../protocol/wire.js';
import type { Abi } from './abi.js';
import { applies, type Attrs, type AttrValue, fromClient, rule, type Shape, typesOf } from './attributes.js';
import { CkError } from './errors.js';

export function sameValue(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** A client template → canonical attributes. The same type twice with different values is inconsistent. */
export function parseTemplate(abi: Abi, template: readonly Attribute[]): Attrs {
  const out: Attrs = new Map();
  for (const a of template) {
    if (Array.isArray(a.value)) throw new CkError(ck.CKR_ATTRIBUTE_TYPE_INVALID, 'template attributes are not supported');
    const v = fromClient(abi, a.type, a.value);
    const had = out.get(a.type);
    if (had !== undefined && !sameValue(had, v)) throw new CkError(ck.CKR_TEMPLATE_INCONSISTENT, 'attribute given twice');
    out.set(a.type, v);
  }
  return out;
}

export function ulongOf(attrs: Attrs, type: bigint): bigint | undefined {
  const v = attrs.get(type);
  return typeof v === 'bigint' ? v : undefined;
}

export function boolOf(attrs: Attrs, type: bigint): boolean {
  return attrs.get(type) === true;
}

export function bytesOf(attrs: Attrs, type: bigint): Buffer | undefined {
  const v = attrs.get(type);
  return Buffer.isBuffer(v) ? v : undefined;
}

export function shapeOf(attrs: Attrs): Shape {
  const cls = ulongOf(attrs, ck.CKA_CLASS);
  if (cls === undefined) throw new CkError(ck.CKR_TEMPLATE_INCOMPLETE, 'CKA_CLASS missing');
  const keyType = ulongOf(attrs, ck.CKA_KEY_TYPE);
  const certType = ulongOf(attrs, ck.CKA_CERTIFICATE_TYPE);
  return { cls, ...(keyType === undefined ? {} : { keyType }), ...(certType === undefined ? {} : { certType }) };
}

export type Origin = 'create' | 'generate';

/**
 * The attributes of a new object: `template` from the caller, `fixed` set by the token (class and
 * key type implied by a mechanism, values it computed, CKA_LOCAL…), then the table's defaults.
 */
export function buildObject(origin: Origin, template: Attrs, fixed: Attrs = new Map()): Attrs {
  for (const [type, v] of fixed) {
    const given = template.get(type);
    if (given !== undefined && !sameValue(given, v)) {
      throw new CkError(ck.CKR_TEMPLATE_INCONSISTENT, `${rule(type)?.name ?? type} conflicts with the mechanism`);
    }
  }
  const attrs: Attrs = new Map([...template, ...fixed]);
  const shape = shapeOf(attrs);
  for (const [type] of template) {
    const r = rule(type);
    if (r === undefined || !applies(type, shape)) {
      throw new CkError(ck.CKR_ATTRIBUTE_TYPE_INVALID, `${r?.name ?? `0x${type.toString(16)}`} does not apply`);
    }
    if (r.tokenOnly && !fixed.has(type)) throw new CkError(ck.CKR_ATTRIBUTE_READ_ONLY, `${r.name} is set by the token`);
    if (origin === 'generate' && r.notGenerate && !fixed.has(type)) {
      throw new CkError(ck.CKR_ATTRIBUTE_READ_ONLY, `${r.name} is computed by the token`);
    }
  }
  for (const type of typesOf(shape)) {
    const r = rule(type);
    if (r === undefined || attrs.has(type)) continue;
    if (origin === 'create' && r.mustCreate) throw new CkError(ck.CKR_TEMPLATE_INCOMPLETE, `${r.name} is required`);
    if (origin === 'generate' && r.mustGenerate) throw new CkError(ck.CKR_TEMPLATE_INCOMPLETE, `${r.name} is required`);
    if (r.dflt !== undefined) attrs.set(type, r.dflt);
  }
  return attrs;
}

/** Attributes a C_CopyObject template may set besides the modifiable ones (§5.7, C_CopyObject). */
const COPY_MAY_SET = new Set([ck.CKA_TOKEN, ck.CKA_PRIVATE, ck.CKA_MODIFIABLE, ck.CKA_DESTROYABLE]);

/** The attributes after C_SetAttributeValue (copy = false) or C_CopyObject (copy = true). */
export function applyChanges(attrs: Attrs, changes: Attrs, opts: { copy: boolean; so: boolean }): Attrs {
  const shape = shapeOf(attrs);
  if (!opts.copy && attrs.get(ck.CKA_MODIFIABLE) === false && changes.size > 0) {
    throw new CkError(ck.CKR_ACTION_PROHIBITED, 'object is not modifiable');
  }
  const out: Attrs = new Map(attrs);
  for (const [type, v] of changes) {
    const r = rule(type);
    if (r === undefined || !applies(type, shape)) {
      throw new CkError(ck.CKR_ATTRIBUTE_TYPE_INVALID, `${r?.name ?? `0x${type.toString(16)}`} does not apply`);
    }
    const old = attrs.get(type);
    if (sameValue(old, v)) continue;
    const settable = r.modifiable === true || (opts.copy && COPY_MAY_SET.has(type));
    if (!settable) throw new CkError(ck.CKR_ATTRIBUTE_READ_ONLY, `${r.name} cannot change`);
    if (r.onlyTo !== undefined && v !== r.onlyTo) throw new CkError(ck.CKR_ATTRIBUTE_READ_ONLY, `${r.name} is one-way`);
    if (r.soOnly && v === true && !opts.so) throw new CkError(ck.CKR_ATTRIBUTE_READ_ONLY, `${r.name} is for the SO`);
    out.set(type, v);
  }
  return out;
}

export type ReadResult = { value: AttrValue } | { rv: bigint };

/** One attribute for C_GetAttributeValue: its value, or why not (sensitive, not on this object). */
export function readAttribute(attrs: Attrs, type: bigint): ReadResult {
  const r = rule(type);
  if (r?.secret && (attrs.get(ck.CKA_SENSITIVE) !== false || attrs.get(ck.CKA_EXTRACTABLE) !== true)) {
    return { rv: ck.CKR_ATTRIBUTE_SENSITIVE };
  }
  const v = attrs.get(type);
  return v === undefined ? { rv: ck.CKR_ATTRIBUTE_TYPE_INVALID } : { value: v };
}

/** A find template matches when every attribute it names has the same value (§5.7, C_FindObjectsInit). */
export function matches(attrs: Attrs, template: Attrs): boolean {
  for (const [type, v] of template) {
    if (rule(type)?.secret) return false;
    if (!sameValue(attrs.get(type), v)) return false;
  }
  return true;
}

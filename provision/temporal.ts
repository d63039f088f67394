// Temporal's side of provisioning: the custom search attributes the workflows set (per namespace,
// so shared by every environment on the server).
import proto from '@temporalio/proto';
import type { SearchAttributeType } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import { PURCHASE_SEARCH_ATTRIBUTES } from '../contracts/purchase';

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const TYPES: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Registers every custom search attribute the workflows use that the namespace lacks; returns those added. */
export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  attributes: readonly { name: string; type: SearchAttributeType }[] = PURCHASE_SEARCH_ATTRIBUTES,
): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = attributes.filter((a) => !(customAttributes && a.name in customAttributes));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((a) => [a.name, TYPES[a.type]])) });
  } catch (err) {
    // Another provisioner added them between the listing and this call.
    if ((err as { code?: number }).code !== 6 /* ALREADY_EXISTS */) throw err;
  }
  return missing.map((a) => a.name);
}

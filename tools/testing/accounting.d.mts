/** What tools/testing/accounting.py read back. */
export interface Accounting {
  /** Records on the topic (every copy). */
  topicRecords: number;
  /** Distinct keys (user ids) on the topic. */
  topicIds: number;
  rows: number;
  distinctRows: number;
  /** Ids on the topic without a row. */
  missing: number;
  /** Rows whose id is not on the topic. */
  extra: number;
  /** Records after the group's committed offsets; null when no group was given. */
  committedLag: number | null;
  uncommitted: Array<{ partition: number; committed: number; end: number }>;
  /** Records on `<topic>.dlq`. */
  dlq: number;
}

export function accounting(
  scenario: string,
  options: { brokers: string; topic: string; group?: string; contactPoints: string; keyspace?: string; table?: string },
): Promise<Accounting>;

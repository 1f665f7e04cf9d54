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
  /** With `expected`: how many ids were expected, those not on the topic, and ids on the topic not expected. */
  expectedIds?: number;
  missingOnTopic?: number;
  extraOnTopic?: number;
}

export function accounting(
  scenario: string,
  options: {
    brokers: string;
    topic: string;
    group?: string;
    /** `host:port,...` */
    contactPoints: string;
    keyspace?: string;
    table?: string;
    /** The ids that should be on the topic. */
    expected?: string[];
    /** Where the accounting line goes; default console.log. */
    log?: (line: string) => void;
  },
): Promise<Accounting>;

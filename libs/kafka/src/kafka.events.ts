/** Where in the pipeline a record was found unusable. */
export type DeadLetterStage = 'decode' | 'validate' | 'write';

/**
 * The events this library emits on {@link KafkaClient.events}. Payloads are
 * built only when someone listens. Durations are in milliseconds; offsets are
 * Kafka offsets as decimal strings.
 */
export type KafkaEvents = {
  /** A produce request was acknowledged by the broker (acks=all). */
  'kafka.batch_produced': { topic: string; records: number; bytes: number; durationMs: number };
  /** A produce request failed after kafkajs's own retries. */
  'kafka.batch_failed': { topic: string; records: number; code: string; retriable: boolean; message: string };
  /** The consumer runner finished one handler call for a partition. */
  'kafka.batch_handled': { topic: string; partition: number; records: number; durationMs: number; lastOffset: string };
  /** An offset was committed: every record before `offset` is done. */
  'kafka.offsets_committed': { groupId: string; topic: string; partition: number; offset: string };
  /** A record was written to the dead-letter topic (and acknowledged). */
  'kafka.record_dead_lettered': { topic: string; partition: number; offset: string; code: string; stage: DeadLetterStage; deadLetterTopic: string };
  /** Consumption paused: by the caller (`reason: 'requested'`) or for a retry (`'retry'`). */
  'kafka.consumer_paused': { topic: string; partitions?: number[]; reason: 'requested' | 'retry' };
  'kafka.consumer_resumed': { topic: string; partitions?: number[]; reason: 'requested' | 'retry' };
  /** The handler (or a dead-letter write) failed; the records will be delivered again after `delayMs`. */
  'kafka.handler_retry': { topic: string; partition: number; attempt: number; delayMs: number; error: Error; retriable: boolean };
  /** kafkajs's consumer crashed; `restart` says whether kafkajs restarts it by itself. */
  'kafka.consumer_crashed': { groupId: string; error: Error; restart: boolean };
  /** Partitions assigned to this member after a (re)join. */
  'kafka.group_joined': { groupId: string; memberId: string; assignment: Record<string, number[]> };
};

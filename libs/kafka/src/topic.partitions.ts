import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';
import type { KafkaContext } from './kafka.context';
import type { OutgoingMessage } from './producer.options';

/**
 * Which partition each message of a send goes to, and each partition's leader,
 * from topic metadata cached for a minute (one lookup however many sends ask at once).
 */
export class TopicPartitions {
  private readonly info = new Map<string, { count: number; leaders: Map<number, number>; at: number }>();
  private readonly lookups = new Map<string, Promise<number | undefined>>();
  /** kafkajs's default (Java-compatible murmur2) partitioner. */
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(private readonly client: KafkaContext) {}

  /** The leader broker id of a partition, when metadata was read. */
  leaderOf(topic: string, partition: number): number | undefined {
    return this.info.get(topic)?.leaders.get(partition);
  }

  /**
   * The message indexes per partition, each message given its partition (the key's murmur2
   * hash, as kafkajs and the Java client pick it). One request then never spans partitions:
   * kafkajs 2.2 keeps one response per broker within a send, so when a partition's leader
   * moves to a broker that already answered for its own partitions, the moved records are
   * counted as acknowledged without being written (kafkajs issue 1303). Without the topic's
   * partition count, kafkajs partitions the whole send itself.
   */
  async byPartition(topic: string, messages: readonly OutgoingMessage[]): Promise<Array<{ partition?: number; indexes: number[] }>> {
    const partitions = await this.partitionCount(topic);
    if (partitions === undefined) return [{ indexes: messages.map((_, i) => i) }];
    const groups = new Map<number, number[]>();
    const metadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 }));
    messages.forEach((message, i) => {
      const partition = message.partition ?? this.partitioner({ topic, partitionMetadata: metadata as PartitionMetadata[], message: message as Message });
      const group = groups.get(partition);
      if (group) group.push(i);
      else groups.set(partition, [i]);
    });
    return [...groups].map(([partition, indexes]) => ({ partition, indexes }));
  }

  /**
   * Partitions of `topic`, from cached metadata (read again after a minute, by one lookup
   * however many sends ask at once); undefined when unknown.
   */
  private partitionCount(topic: string): Promise<number | undefined> {
    const cached = this.info.get(topic);
    if (cached && Date.now() - cached.at < 60_000) return Promise.resolve(cached.count);
    let lookup = this.lookups.get(topic);
    if (!lookup) {
      lookup = this.readPartitions(topic).finally(() => this.lookups.delete(topic));
      this.lookups.set(topic, lookup);
    }
    return lookup;
  }

  private async readPartitions(topic: string): Promise<number | undefined> {
    const cached = this.info.get(topic);
    const admin = this.client.kafka.admin();
    try {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = topics[0]?.partitions ?? [];
      if (partitions.length > 0) {
        this.info.set(topic, { count: partitions.length, leaders: new Map(partitions.map((p) => [p.partitionId, p.leader])), at: Date.now() });
      }
      return partitions.length || cached?.count;
    } catch {
      return cached?.count;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

import type { Admin } from 'kafkajs';
import { KafkaAdmin } from './kafka.admin';
import { KafkaClient } from './kafka.client';

// Unit: the kafkajs admin is replaced by a stand-in, to make a request fail the
// way a broker does while a new group's coordinator is loading.

function protocolError(type: string, retriable: boolean): Error {
  return Object.assign(new Error(`This is not the correct coordinator for this group (${type})`), { name: 'KafkaJSProtocolError', type, retriable });
}

function adminWith(fake: Partial<Admin>): KafkaAdmin {
  const client = new KafkaClient({ brokers: ['127.0.0.1:9'], clientId: 'unit', retry: { retries: 3, initialRetryTimeMs: 1, maxRetryTimeMs: 5 } });
  jest.spyOn(client.kafka, 'admin').mockReturnValue({ connect: async () => undefined, ...fake } as Admin);
  return new KafkaAdmin(client);
}

describe('KafkaAdmin requests', () => {
  const offsets = [{ partition: 0, offset: '10', high: '10', low: '0' }];

  it('retries a retriable failure (NOT_COORDINATOR) and then answers', async () => {
    const fetchOffsets = jest
      .fn()
      .mockRejectedValueOnce(protocolError('NOT_COORDINATOR', true))
      .mockResolvedValueOnce([{ topic: 't', partitions: [{ partition: 0, offset: '4' }] }]);
    const admin = adminWith({ fetchTopicOffsets: jest.fn().mockResolvedValue(offsets), fetchOffsets });
    await expect(admin.consumerGroupLag('g', 't')).resolves.toEqual({
      groupId: 'g',
      topic: 't',
      partitions: [{ partition: 0, committed: 4, end: 10, lag: 6 }],
      total: 6,
    });
    expect(fetchOffsets).toHaveBeenCalledTimes(2);
  });

  it('gives up after the client retry budget with a wrapped, retriable error', async () => {
    const fetchOffsets = jest.fn().mockRejectedValue(protocolError('NOT_COORDINATOR', true));
    const admin = adminWith({ fetchTopicOffsets: jest.fn().mockResolvedValue(offsets), fetchOffsets });
    await expect(admin.consumerGroupLag('g', 't')).rejects.toMatchObject({
      code: 'KAFKA_ADMIN_FAILED',
      retriable: true,
      message: expect.stringContaining('reading committed offsets of group g'),
    });
    expect(fetchOffsets).toHaveBeenCalledTimes(4);
  });

  it('does not repeat a non-retriable failure', async () => {
    const fetchOffsets = jest.fn().mockRejectedValue(protocolError('GROUP_AUTHORIZATION_FAILED', false));
    const admin = adminWith({ fetchTopicOffsets: jest.fn().mockResolvedValue(offsets), fetchOffsets });
    await expect(admin.consumerGroupLag('g', 't')).rejects.toMatchObject({ code: 'KAFKA_ADMIN_FAILED', retriable: false });
    expect(fetchOffsets).toHaveBeenCalledTimes(1);
  });

  it('pings once, without retrying, so a readiness check answers for the present', async () => {
    const listTopics = jest.fn().mockRejectedValue(protocolError('LEADER_NOT_AVAILABLE', true));
    const admin = adminWith({ listTopics });
    await expect(admin.ping()).rejects.toMatchObject({ code: 'KAFKA_ADMIN_FAILED', retriable: true });
    expect(listTopics).toHaveBeenCalledTimes(1);
  });
});

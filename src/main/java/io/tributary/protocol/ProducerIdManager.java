package io.tributary.protocol;

import io.tributary.coordination.ClusterMetadataStore;

/**
 * Hands out producer ids for idempotent producers, unique across the cluster and across restarts:
 * ids come in blocks reserved in ZooKeeper ({@link ClusterMetadataStore#allocateProducerIdBlock}),
 * and a new block is reserved when one runs out. An id not handed out before a restart is skipped,
 * never reused.
 *
 * <p>Thread-safe: {@code this} guards the current block.
 */
final class ProducerIdManager {

    static final int BLOCK_SIZE = 1_000;

    private final ClusterMetadataStore metadata;
    private final int brokerId;
    private long next;
    private long blockEnd;

    ProducerIdManager(ClusterMetadataStore metadata, int brokerId) {
        this.metadata = metadata;
        this.brokerId = brokerId;
    }

    synchronized long nextProducerId() {
        if (next >= blockEnd) {
            next = metadata.allocateProducerIdBlock(brokerId, BLOCK_SIZE);
            blockEnd = next + BLOCK_SIZE;
        }
        return next++;
    }
}

package io.tributary.coordination;

import org.apache.kafka.common.TopicPartition;

/**
 * A conditional write of a partition's state lost a race: the znode is no longer at the version
 * the caller read, so someone else (normally a newer controller) changed it first. The caller
 * should re-read the state and decide again rather than retry blindly.
 */
public final class StalePartitionStateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient TopicPartition partition;
    private final int expectedZkVersion;

    public StalePartitionStateException(TopicPartition partition, int expectedZkVersion) {
        super("Partition state of " + partition + " was changed concurrently: expected znode version "
                + (expectedZkVersion < 0 ? "(absent)" : expectedZkVersion) + ", re-read it and retry");
        this.partition = partition;
        this.expectedZkVersion = expectedZkVersion;
    }

    public TopicPartition partition() {
        return partition;
    }

    public int expectedZkVersion() {
        return expectedZkVersion;
    }
}

package io.tributary.broker;

import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** The topic exists but has no such partition (a Kafka UNKNOWN_TOPIC_OR_PARTITION). */
public final class UnknownPartitionException extends UnknownTopicOrPartitionException {
    private static final long serialVersionUID = 1L;

    public UnknownPartitionException(String topic, int partition, int partitionCount) {
        super("Topic '" + topic + "' has no partition " + partition + "; it has partitions 0 to "
                + (partitionCount - 1) + ".");
    }

    public UnknownPartitionException(String message) {
        super(message);
    }
}
